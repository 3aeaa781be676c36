// Everything aws implements, for src/clouds/registry.ts (loaded only when a construct targets aws).
import type { CloudTarget } from '../registry';
import { inference } from './inference';

export const target: CloudTarget = {
  inference,
};
