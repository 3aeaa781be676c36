// Everything azure implements, for src/clouds/registry.ts (loaded only when a construct targets azure).
import type { CloudTarget } from '../registry';
import { backup } from './backup';

export const target: CloudTarget = {
  backup,
};
