// Everything gcp implements, for src/clouds/registry.ts (loaded only when a construct targets gcp).
import type { CloudTarget } from '../registry';
import { monitoring } from './monitoring';

export const target: CloudTarget = {
  monitoring,
};
