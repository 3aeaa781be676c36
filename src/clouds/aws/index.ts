// Everything aws implements, for src/clouds/registry.ts (loaded only when a construct targets aws).
import type { CloudTarget } from '../registry';
import { monitoring } from './monitoring';

export const target: CloudTarget = {
  monitoring,
};
