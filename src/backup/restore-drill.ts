import * as fs from 'fs';
import * as path from 'path';
import { Construct } from 'constructs';
import { apiObject } from '../k8s/cdk8s';
import { IGpuCluster } from '../core/cluster';
import { check, InvalidPropError } from '../core/errors';
import { IWorkloadIdentity } from '../core/identity';
import { WorkloadIdentity } from '../core/workload-identity';
import { checkImageUri, IContainerImage } from '../core/image';
import { IModelStore } from '../core/model-store';
import { packageRoot } from '../core/package-root';
import { KubernetesWorkload } from '../k8s/delivery';
import { MANAGED_BY_LABELS } from '../k8s/namespace';
import { checkDnsLabel, derivedDnsLabel, RESERVED_NAMESPACES } from '../k8s/names';
import { configMap } from '../k8s/objects/config-map';
import { containerResources } from '../k8s/objects/container';
import { cronJob } from '../k8s/objects/cron-job';
import { serviceAccount } from '../k8s/objects/service-account';
import { sharedNamespace } from '../k8s/shared-namespace';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext, writableEmptyDirs } from '../k8s/security';
import type { ITenant } from '../training/tenant';

/**
 * The drill program, `compute/src/aiinfra/drill.py` of the compute core (tested with pytest there), run by the
 * trainer image's Python (`aiinfra.checkpoint`): for each checkpoint root (a run directory holding
 * `step-XXXXXXXX/`, or a parent whose sub-directories are runs), pick the newest complete checkpoint (one with
 * a manifest), verify every file's sha256 against the manifest, and (optionally) restore the model weights on
 * CPU. One JSON line per run; exit 1 when any run fails. The CronJob mounts this text from a ConfigMap, so a
 * drill also works with an image whose `aiinfra` predates the module.
 */
export const RESTORE_DRILL_SCRIPT: string = fs.readFileSync(path.join(packageRoot(), 'compute', 'src', 'aiinfra', 'drill.py'), 'utf8');

export interface RestoreDrillProps {
  readonly cluster: IGpuCluster;
  /** The store whose checkpoints are drilled. */
  readonly store: IModelStore;
  /**
   * Prefixes (in the store) of checkpoint runs, or of parents of runs: every run found is drilled.
   * @default - the tenant's `<prefix>checkpoints/`, else `checkpoints/`
   */
  readonly prefixes?: readonly string[];
  /** Cron schedule (UTC). @default '17 4 * * *' (daily) */
  readonly schedule?: string;
  /** Load the weights after verifying the sha256s (a real restore, on CPU). @default true */
  readonly loadWeights?: boolean;
  /** Fail when no checkpoint is found at all. @default true */
  readonly requireCheckpoint?: boolean;
  /** Memory for the drill pod (weights are loaded in fp32 on CPU), GiB. @default 16 */
  readonly memoryGiB?: number;
  /** Tenant whose namespace and bucket prefix the drill uses. @default - none */
  readonly tenant?: ITenant;
  /** Namespace when there is no tenant. @default 'training' */
  readonly namespace?: string;
  /** Image with the `aiinfra` package. @default - the bundled trainer image */
  readonly image?: string | IContainerImage;
  /** CronJob name (DNS label, at most 40 characters). @default `restore-drill-<id>` */
  readonly jobName?: string;
}

/** RestoreDrillProps without the store: the options of `ModelBackupBucket.addRestoreDrill`. */
export type RestoreDrillOptions = Omit<RestoreDrillProps, 'store'>;

const PREFIX = /^([a-z0-9][a-z0-9._-]*\/)+$/;

/**
 * A periodic restore drill for a `ModelBackupBucket` (or any IModelStore): a CronJob that, with a read-only
 * identity limited to the drilled prefixes, finds the newest complete checkpoint of each training run,
 * verifies every file's sha256 against the checkpoint manifest and loads the weights on CPU, failing the
 * Job (and so the `kube_job_status_failed` alert of the MonitoringStack) when any run cannot be restored.
 * Runs the bundled trainer image's `aiinfra.checkpoint` (CheckpointStore, verify_step,
 * load_model_for_inference) from a script in a ConfigMap; restricted Pod Security, no GPU.
 */
export class RestoreDrill extends Construct {
  /** CronJob name (the drill's Jobs are named `<jobName>-<time>`). */
  public readonly jobName: string;
  public readonly namespace: string;
  /** Read-only identity of the drill. */
  public readonly identity: IWorkloadIdentity;
  /** Checkpoint roots drilled (URIs). */
  public readonly roots: readonly string[];
  public readonly workload: KubernetesWorkload;

  constructor(scope: Construct, id: string, props: RestoreDrillProps) {
    super(scope, id);
    const r = resolveRestoreDrill(this, id, props);
    const { cluster, store, tenant } = props;
    this.jobName = r.jobName;
    this.namespace = r.namespace;
    this.roots = r.prefixes.map((p) => `${store.uri}/${p.replace(/\/$/, '')}`);
    let imageUri = r.image;
    if (!imageUri) {
      const bundled = (require('../core/image-build') as typeof import('../core/image-build')).trainerImage(this, cluster.cloud);
      bundled.grantPull(cluster);
      imageUri = bundled.imageUri;
    }

    this.identity = new WorkloadIdentity(this, 'Identity', {
      cloud: cluster.cloud, description: `Restore drill ${r.namespace}/${r.jobName}: reads ${r.prefixes.join(', ')}`,
    });
    for (const p of r.prefixes) store.grantRead(this.identity, p);
    const saAnnotations = cluster.bindServiceAccount(this.identity, r.namespace, r.jobName);

    this.workload = new KubernetesWorkload(this, 'Workload', { cluster, namespace: r.namespace, description: `Restore drill ${r.namespace}/${r.jobName} (cdktf-ai-infra)` });
    this.workload.addDependency(tenant ? tenant.workload : sharedNamespace(cluster, r.namespace));
    const env: Record<string, string> = {
      ...store.clientEnvironment,
      DRILL_ROOTS: this.roots.join(','),
      DRILL_LOAD_WEIGHTS: props.loadWeights === false ? '0' : '1',
      DRILL_REQUIRE_CHECKPOINT: props.requireCheckpoint === false ? '0' : '1',
      HOME: '/home/app',
      PYTHONUNBUFFERED: '1',
    };
    renderDrillObjects(this.workload.chart, r, {
      imageUri, env, saAnnotations, podLabels: cluster.workloadIdentityPodLabels ?? {}, memory: `${props.memoryGiB ?? 16}Gi`,
    });
  }
}

/** RestoreDrillProps after checks and defaults. */
interface ResolvedRestoreDrill {
  readonly jobName: string;
  readonly namespace: string;
  readonly schedule: string;
  readonly prefixes: readonly string[];
  /** The user's image; undefined: the bundled trainer image. */
  readonly image?: string;
}

/** Checks every prop and applies the defaults; throws InvalidPropError before any child exists. */
function resolveRestoreDrill(scope: Construct, id: string, props: RestoreDrillProps): ResolvedRestoreDrill {
  const { cluster, store, tenant } = props;
  if (!cluster || !cluster.gpuPools) throw new InvalidPropError(scope, 'cluster', cluster, 'an IGpuCluster');
  if (!store || typeof store.grantRead !== 'function') throw new InvalidPropError(scope, 'store', store, 'an IModelStore (e.g. a ModelBackupBucket)');
  if (store.cloud.kind !== cluster.cloud.kind) {
    throw new InvalidPropError(scope, 'store', store.node.path, `a store on the cluster's cloud (${cluster.cloud.kind}); the drill's identity cannot read ${store.cloud.kind} storage`);
  }
  const jobName = props.jobName ?? derivedDnsLabel(scope, `restore-drill-${id}`, 40, 'jobName');
  checkDnsLabel(scope, 'jobName', jobName, 40);
  const namespace = tenant ? tenant.namespace : props.namespace ?? 'training';
  checkDnsLabel(scope, 'namespace', namespace);
  if (RESERVED_NAMESPACES.includes(namespace) || namespace.startsWith('kube-')) {
    throw new InvalidPropError(scope, 'namespace', namespace, `a workload namespace, not ${RESERVED_NAMESPACES.join(', ')} or kube-*`);
  }
  if (tenant && tenant.cluster !== cluster) throw new InvalidPropError(scope, 'tenant', tenant.node.path, 'a tenant of the same cluster');
  const schedule = (props.schedule ?? '17 4 * * *').trim();
  check.cron(scope, 'schedule', schedule, { macros: true, example: '17 4 * * *' });
  check.integerInRange(scope, 'memoryGiB', props.memoryGiB, 1, 1024);
  const prefixes = props.prefixes ?? [`${tenant?.bucketPrefix ?? ''}checkpoints/`];
  if (!Array.isArray(prefixes) || prefixes.length === 0) throw new InvalidPropError(scope, 'prefixes', prefixes, 'one or more prefixes');
  prefixes.forEach((p, i) => {
    check.matches(scope, `prefixes[${i}]`, p, PREFIX, "lowercase path segments ending in '/', e.g. 'checkpoints/' or 'research/checkpoints/pretrain/'");
    tenant?.checkPrefix(scope, `prefixes[${i}]`, p);
  });
  let image: string | undefined;
  if (typeof props.image === 'string') {
    checkImageUri(scope, 'image', props.image);
    image = props.image;
  } else if (props.image) {
    image = props.image.imageUri;
  }
  return { jobName, namespace, schedule, prefixes, image };
}

/** What the drill's pod runs with. */
interface DrillPod {
  readonly imageUri: string;
  readonly env: Record<string, string>;
  readonly saAnnotations: Record<string, string>;
  readonly podLabels: Record<string, string>;
  readonly memory: string;
}

/** The drill's ServiceAccount, script ConfigMap and CronJob. */
function renderDrillObjects(chart: Construct, r: ResolvedRestoreDrill, pod: DrillPod): void {
  const { jobName, namespace } = r;
  const labels: Record<string, string> = { ...MANAGED_BY_LABELS, 'app.kubernetes.io/name': 'aiinfra-restore-drill', 'ai-infra/restore-drill': jobName };
  apiObject(chart, 'ServiceAccount', serviceAccount(jobName, namespace, labels, pod.saAnnotations));
  apiObject(chart, 'Script', configMap({ name: `${jobName}-script`, namespace, labels, data: { 'drill.py': RESTORE_DRILL_SCRIPT } }));
  apiObject(chart, 'CronJob', cronJob({
    name: jobName, namespace, labels, schedule: r.schedule, jobLabels: labels,
    jobSpec: {
      backoffLimit: 1,
      activeDeadlineSeconds: 3 * 3600,
      ttlSecondsAfterFinished: 7 * 86400,
      template: { metadata: { labels: { ...labels, ...pod.podLabels } }, spec: drillPodSpec(jobName, pod) },
    },
  }));
}

/** Restricted Pod Security, no GPU, the script mounted read-only, scratch space for the restored weights. */
function drillPodSpec(jobName: string, pod: DrillPod): Record<string, unknown> {
  const dirs = writableEmptyDirs([
    { name: 'tmp', mountPath: '/tmp', sizeLimit: '20Gi' },
    { name: 'home', mountPath: '/home/app', sizeLimit: '1Gi' },
  ]);
  return {
    serviceAccountName: jobName,
    automountServiceAccountToken: false,
    restartPolicy: 'Never',
    enableServiceLinks: false,
    securityContext: restrictedPodSecurityContext(),
    volumes: [...dirs.volumes, { name: 'script', configMap: { name: `${jobName}-script` } }],
    containers: [{
      name: 'drill',
      image: pod.imageUri,
      imagePullPolicy: 'IfNotPresent',
      command: ['python', '/etc/aiinfra-drill/drill.py'],
      env: Object.entries(pod.env).sort(([a], [b]) => a.localeCompare(b)).map(([name, value]) => ({ name, value })),
      resources: containerResources('1', pod.memory),
      securityContext: restrictedContainerSecurityContext(),
      volumeMounts: [...dirs.volumeMounts, { name: 'script', mountPath: '/etc/aiinfra-drill', readOnly: true }],
    }],
  };
}
