// Typed alert rules, written once and rendered per backend.
export * from './rule';
export * from './gpu';
export * from './training';
export * from './pipeline';
export * from './inference';
export * from './platform';
export * from './cost';
export * from './render';
export * from './rule-set';
