// Secure defaults, checked against the library's own pack: every public construct given only its required
// props, on each cloud, passes AiInfraPolicyPack without a user suppression (no unsuppressed error or
// warning). Suppressions the library makes itself must carry a reason.
import { TerraformStack, Testing } from 'cdktf';
import { Cloud } from '../../src/core/cloud';
import { Gpu } from '../../src/core/gpu';
import { ModelBackupBucket } from '../../src/backup/model-backup-bucket';
import { RestoreDrill } from '../../src/backup/restore-drill';
import { GpuTrainingCluster } from '../../src/training/gpu-training-cluster';
import { InferenceEndpoint } from '../../src/inference/inference-endpoint';
import { MonitoringStack } from '../../src/monitoring/monitoring-stack';
import { AiInfraPolicyPack } from '../../src/policy';

const CLOUDS = {
  aws: () => Cloud.aws({ region: 'us-east-1' }),
  gcp: () => Cloud.gcp({ project: 'acme-ml', region: 'us-central1' }),
  azure: () => Cloud.azure({ location: 'eastus2' }),
};
type CloudName = keyof typeof CLOUDS;

/** One construct per case, with only its required props (and the constructs those props need). */
const CASES: Record<string, (stack: TerraformStack, cloud: Cloud) => void> = {
  ModelBackupBucket: (stack, cloud) => {
    new ModelBackupBucket(stack, 'models', { cloud });
  },
  GpuTrainingCluster: (stack, cloud) => {
    new GpuTrainingCluster(stack, 'train', { cloud, gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2 }] });
  },
  'Tenant + TrainingJob': (stack, cloud) => {
    const cluster = new GpuTrainingCluster(stack, 'train', { cloud, gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2 }] });
    const tenant = cluster.addTenant('research', { gpuQuota: 8 });
    cluster.addTrainingJob('pretrain', { tenant, nodes: 1, gpusPerNode: 8, model: { preset: 'gpt-tiny' }, checkpoints: new ModelBackupBucket(stack, 'models', { cloud }) });
  },
  RestoreDrill: (stack, cloud) => {
    const cluster = new GpuTrainingCluster(stack, 'train', { cloud, gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2 }] });
    new RestoreDrill(stack, 'drill', { cluster, store: new ModelBackupBucket(stack, 'models', { cloud }) });
  },
  InferenceEndpoint: (stack, cloud) => {
    const models = new ModelBackupBucket(stack, 'models', { cloud });
    new InferenceEndpoint(stack, 'chat', { cloud, model: models.model('llm/v1') });
  },
  'MonitoringStack (self-managed)': (stack, cloud) => {
    const cluster = new GpuTrainingCluster(stack, 'train', { cloud, gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2 }] });
    new MonitoringStack(stack, 'obs', { cluster });
  },
  'MonitoringStack (managed)': (stack, cloud) => {
    new MonitoringStack(stack, 'obs', { cloud, backend: 'managed' });
  },
};

/**
 * Warnings (they do not fail synth) a default may keep: hardening that needs account set-up first. AKS
 * encryption at host needs the subscription feature EncryptionAtHost registered; an ACR customer-managed key
 * needs a Key Vault the deploying machine can reach.
 */
const OPT_IN_WARNINGS: Record<CloudName, readonly string[]> = { aws: [], gcp: [], azure: ['AI-AZ-AKS-8', 'AI-AZ-ACR-4'] };

describe.each(Object.keys(CLOUDS) as CloudName[])('%s: defaults pass AiInfraPolicyPack', (cloudName) => {
  test.each(Object.keys(CASES))('%s', (name) => {
    const stack = new TerraformStack(Testing.app(), 'platform');
    CASES[name](stack, CLOUDS[cloudName]());
    const findings = new AiInfraPolicyPack().evaluate(stack);
    const open = findings.filter((f) => !f.suppressedReason && !(f.severity === 'warning' && OPT_IN_WARNINGS[cloudName].includes(f.ruleId)));
    expect(open.map((f) => `${f.severity} ${f.ruleId} ${f.constructPath} ${f.subject}: ${f.message}`)).toEqual([]);
    // What the library suppresses itself says why, and how to close it.
    for (const f of findings.filter((x) => x.suppressedReason)) expect(f.suppressedReason!.length).toBeGreaterThan(80);
  });
});
