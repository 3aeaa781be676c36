// The helm provider's release type under a name of ours: generic code hands releases around (and exposes them
// as escape hatches) without importing a provider package; only src/clouds does.
import type { Release } from '@cdktf/provider-helm/lib/release';

/** A `helm_release` (what `pinnedRelease` and KubernetesWorkload create). */
export type HelmRelease = Release;
