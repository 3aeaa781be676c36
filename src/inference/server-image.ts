// The bundled server image (images/server) for the builtin runtime.
import { IGpuCluster } from '../core/cluster';
import { InvalidPropError } from '../core/errors';
import { Construct } from 'constructs';

/** The image URI of the bundled server for `cluster`'s cloud. */
export function serverImage(scope: Construct, cluster: IGpuCluster): string {
  throw new InvalidPropError(scope, 'image', undefined, `a prebuilt builtin server image for ${cluster.cloud.kind} (repo/server:tag)`);
}
