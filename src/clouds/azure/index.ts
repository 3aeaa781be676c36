// Everything azure implements, for src/clouds/registry.ts (loaded only when a construct targets azure).
import type { CloudTarget } from '../registry';
import { backup } from './backup';
import { identity } from './identity';
import { inference } from './inference';
import { monitoring } from './monitoring';
import { pipeline } from './pipeline';
import { images } from './registry';
import { cluster } from './training';

export const target: CloudTarget = {
  backup,
  cluster,
  identity,
  images,
  inference,
  monitoring,
  pipeline,
};
