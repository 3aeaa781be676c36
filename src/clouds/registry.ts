// The ONE map from a cloud to its implementations (the shape of Wing SDK's per-target factory): generic
// construct code asks `targetFor(cloud).<construct>` for its per-cloud half and never names a cloud. Each
// construct's contract is the types-only `src/<construct>/spi.ts`; each cloud implements them in
// `src/clouds/<cloud>/<construct>.ts` and lists them in `src/clouds/<cloud>/index.ts`.
//
// The only lazy require in the library (besides the fast synth and the cdk8s/yaml loaders): a cloud's code,
// and with it its provider packages, loads on first use, so `require('cdktf-ai-infra')` stays cheap and an
// AWS-only app never loads the Azure provider.
import type { BackupSpi } from '../backup/spi';
import type { Cloud, CloudKind } from '../core/cloud';
import type { IdentitySpi, ImageRepositorySpi } from '../core/spi';
import type { InferenceSpi } from '../inference/spi';
import type { MonitoringSpi } from '../monitoring/spi';
import type { PipelineSpi } from '../pipeline/spi';
import type { ClusterSpi } from '../training/spi';

/** Everything one cloud implements: one field per construct spi. */
export interface CloudTarget {
  /** ModelBackupBucket (src/backup/spi.ts). */
  readonly backup: BackupSpi;
  /** GpuTrainingCluster (src/training/spi.ts). */
  readonly cluster: ClusterSpi;
  /** WorkloadIdentity (src/core/spi.ts). */
  readonly identity: IdentitySpi;
  /** BundledImage's image repository (src/core/spi.ts). */
  readonly images: ImageRepositorySpi;
  /** InferenceEndpoint (src/inference/spi.ts). */
  readonly inference: InferenceSpi;
  /** MonitoringStack (src/monitoring/spi.ts). */
  readonly monitoring: MonitoringSpi;
  /** ModelPipeline's new-data trigger (src/pipeline/spi.ts); absent on clouds where it is not built yet. */
  readonly pipeline?: PipelineSpi;
}

const loaded: Partial<Record<CloudKind, CloudTarget>> = {};

function load(kind: CloudKind): CloudTarget {
  switch (kind) {
    case 'aws': return (require('./aws') as typeof import('./aws')).target;
    case 'gcp': return (require('./gcp') as typeof import('./gcp')).target;
    case 'azure': return (require('./azure') as typeof import('./azure')).target;
  }
}

/** The implementations for `cloud`'s kind, loaded on first use. */
export function targetFor(cloud: Cloud): CloudTarget {
  return (loaded[cloud.kind] ??= load(cloud.kind));
}
