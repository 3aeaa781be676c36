// Every finding's fix names what a user of the constructs can do: the construct prop where one controls the
// attribute, and always how to accept it on purpose (Policy.suppress) — not only Terraform attributes (issue 16).
import { TerraformStack, Testing } from 'cdktf';
import { ModelBackupBucket } from '../../src/backup/model-backup-bucket';
import { Cloud } from '../../src/core/cloud';
import { AiInfraPolicyPack, ALL_RULES } from '../../src/policy';
import { fixText } from '../../src/policy/rule';

/** Rules a construct prop can trigger, and the props their fix must name. */
const PROP_FIXES: Record<string, readonly string[]> = {
  'AI-AWS-EKS-2': ['GpuTrainingCluster endpointAccess', 'authorizedNetworks'],
  'AI-GCP-GKE-2': ['GpuTrainingCluster endpointAccess', 'authorizedNetworks'],
  'AI-AZ-AKS-1': ['GpuTrainingCluster endpointAccess', 'authorizedNetworks'],
  'AI-GCP-GKE-13': ['GpuTrainingCluster deletionProtection'],
  'AI-AWS-S3-3': ['ModelBackupBucket versioned'],
  'AI-GCP-GCS-4': ['ModelBackupBucket versioned'],
  'AI-AZ-ST-6': ['ModelBackupBucket versioned', 'softDeleteDays'],
  'AI-AWS-S3-5': ['ModelBackupBucket accessLogs'],
  'AI-GCP-GCS-5': ['ModelBackupBucket accessLogs'],
  'AI-GCP-KMS-2': ['ModelBackupBucket forceDestroy'],
  'AI-AZ-LOG-1': ['ModelBackupBucket accessLogRetentionDays'],
  'AI-AZ-KV-2': ['ModelBackupBucket azure.network', 'azure.publicNetworkAccess', 'MonitoringStack selfManaged.azureKeyVaultAllowedIpRanges', 'InferenceEndpoint auth.keyVaultNetwork'],
  'AI-AZ-ST-3': ['ModelBackupBucket azure.network', 'azure.publicNetworkAccess'],
  'AI-K8S-SRV-3': ['InferenceEndpoint replicas.min', 'autoscaling.scaleToZero'],
  'AI-K8S-SVC-1': ['InferenceEndpoint exposure.type', 'exposure.allowedCidrs'],
  'AI-K8S-TRN-1': ['TrainingJob maxRestarts', 'maxRuntimeHours'],
  'AI-K8S-TRN-2': ['TrainingJob checkpoints'],
  'AI-K8S-POD-10': ['image prop of InferenceEndpoint, TrainingJob or RestoreDrill'],
  'AI-K8S-POD-13': ['TrainingJob env'],
};

test('every rule\'s fix says how to accept the finding (Policy.suppress with the rule id and the construct path)', () => {
  for (const rule of ALL_RULES) {
    const text = fixText(rule, 'platform/models');
    expect(text.startsWith(rule.remediation)).toBe(true);
    expect(text).toContain(`Policy.suppress(<the construct platform/models or a parent>, '${rule.id}', '<why>')`);
  }
});

test('rules a construct prop can trigger name that prop', () => {
  const ids = new Set(ALL_RULES.map((r) => r.id));
  for (const [id, props] of Object.entries(PROP_FIXES)) {
    expect(ids.has(id)).toBe(true);
    const text = fixText(ALL_RULES.find((r) => r.id === id)!, 'x');
    for (const prop of props) expect(`${id}: ${text}`).toContain(prop);
  }
});

test('a finding on a construct carries the whole fix', () => {
  const stack = new TerraformStack(Testing.app(), 'platform');
  new ModelBackupBucket(stack, 'models', { cloud: Cloud.aws({ region: 'us-east-1' }), accessLogs: false });
  const [finding] = new AiInfraPolicyPack().evaluate(stack).filter((f) => f.ruleId === 'AI-AWS-S3-5');
  expect(finding.remediation).toMatch(/With cdktf-ai-infra constructs: ModelBackupBucket accessLogs: true \(the default\)\. Or, if intended: Policy\.suppress\(<the construct platform\/models\/\S+ or a parent>, 'AI-AWS-S3-5', '<why>'\)\.$/);
});
