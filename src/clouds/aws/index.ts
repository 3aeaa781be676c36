// Everything aws implements, for src/clouds/registry.ts (loaded only when a construct targets aws).
import type { CloudTarget } from '../registry';
import { backup } from './backup';

export const target: CloudTarget = {
  backup,
};
