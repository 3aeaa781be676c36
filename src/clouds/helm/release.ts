// The helm_release resource for generic code (src/k8s/delivery.ts, src/monitoring): provider imports stay under
// src/clouds/. Generic code hands releases around (and exposes them as escape hatches) as `HelmRelease`.
import { Construct, IConstruct } from 'constructs';
import { Release, ReleaseConfig } from '@cdktf/provider-helm/lib/release';

export type { Release, ReleaseConfig };

/** A `helm_release` (what `pinnedRelease` and KubernetesWorkload create). */
export type HelmRelease = Release;

/** A `helm_release` under `scope`. */
export function helmRelease(scope: Construct, id: string, config: ReleaseConfig): Release {
  return new Release(scope, id, config);
}

/** True when `c` is a `helm_release` resource. */
export function isHelmRelease(c: IConstruct): c is Release {
  return c instanceof Release;
}
