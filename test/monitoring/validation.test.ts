import { TerraformStack, Testing } from 'cdktf';
import { Cloud } from '../../src/core/cloud';
import { MonitoringStack } from '../../src/monitoring/monitoring-stack';
import { MonitoringStackProps } from '../../src/monitoring/types';
import { FakeGpuCluster } from '../k8s/fake-cluster';
import { expectInvalid, FakeBucket, FakeEndpoint, FakeTrainingJob, fixture } from './helpers';

type Case = [string, (f: ReturnType<typeof fixture>) => MonitoringStackProps, RegExp];

const cases: Case[] = [
  ['unknown severity in a custom rule', (f) => ({ cluster: f.cluster, alerts: { custom: [{ name: 'MyAlert', expr: 'up == 0', for: '5m', severity: 'sev1' as never, summary: 's', description: 'd', runbook: 'r' }] } }),
    /obs: invalid alerts\.custom\[0\]\[MyAlert\]\.severity = "sev1"\. Allowed: one of "critical", "warning", "info"/],
  ['a for that is not a duration', (f) => ({ cluster: f.cluster, alerts: { custom: [{ name: 'MyAlert', expr: 'up == 0', for: 'five minutes', severity: 'warning', summary: 's', description: 'd', runbook: 'r' }] } }),
    /alerts\.custom\[0\]\[MyAlert\]\.for = "five minutes"\. Allowed: a Prometheus duration/],
  ['PromQL with unbalanced brackets', (f) => ({ cluster: f.cluster, alerts: { custom: [{ name: 'MyAlert', expr: 'sum(rate(x[5m])', for: '5m', severity: 'warning', summary: 's', description: 'd', runbook: 'r' }] } }),
    /alerts\.custom\[0\]\[MyAlert\]\.expr = "sum\(rate\(x\[5m\]\)"/],
  ['a budget of zero', (f) => ({ cluster: f.cluster, budget: { monthlyUsd: 0 } }), /invalid budget\.monthlyUsd = 0\. Allowed: a number of US dollars > 0/],
  ['a negative budget', (f) => ({ cluster: f.cluster, budget: { monthlyUsd: -5 } }), /budget\.monthlyUsd = -5/],
  // Fractions are read as percentages: [0.5, 0.8] would notify at 0.5 % and 0.8 % of the budget (issue 16).
  ['budget thresholds given as fractions', (f) => ({ cluster: f.cluster, budget: { monthlyUsd: 10, thresholds: [0.5, 0.8, 1] } }),
    /budget\.thresholds = \[0\.5,0\.8,1\]\. Allowed: percentages of the budget, not fractions: \[50, 80, 100\]/],
  ['budget thresholds out of range', (f) => ({ cluster: f.cluster, budget: { monthlyUsd: 10, thresholds: [50, 5000] } }), /budget\.thresholds = \[50,5000\]/],
  ['an unknown alert in disabled', (f) => ({ cluster: f.cluster, alerts: { disabled: ['GpuOnFire'] } }), /alerts\.disabled = "GpuOnFire"\. Allowed: alert names: .*GpuIdle/],
  ['a route to an unknown receiver', (f) => ({ cluster: f.cluster, routing: { receivers: [{ name: 'team', webhookUrl: { secretName: 'hook' } }], routes: { critical: ['oncall'] } } }),
    /routing\.routes\.critical = "oncall"\. Allowed: receiver names: team/],
  ['a route for an unknown severity', (f) => ({ cluster: f.cluster, routing: { receivers: [{ name: 'team', webhookUrl: { secretName: 'hook' } }], routes: { page: ['team'] } as never } }),
    /routing\.routes = "page"/],
  ['e-mail on the self-managed backend without SMTP', (f) => ({ cluster: f.cluster, routing: { receivers: [{ name: 'team', emails: ['a@example.com'] }] } }),
    /routing\.smtp = undefined\. Allowed: an SMTP server/],
  ['an invalid e-mail address', (f) => ({ cluster: f.cluster, backend: 'managed', routing: { receivers: [{ name: 'team', emails: ['not-an-address'] }] } }),
    /routing\.receivers\[0\]\.emails = "not-an-address"/],
  ['a receiver with nothing to deliver to', (f) => ({ cluster: f.cluster, routing: { receivers: [{ name: 'team' }] } }), /routing\.receivers\[0\] = "team"/],
  ['Slack on a managed backend', (f) => ({ cluster: f.cluster, backend: 'managed', routing: { receivers: [{ name: 'team', slackWebhookUrl: { secretName: 'slack' } }] } }),
    /slackWebhookUrl = "slack"\. Allowed: Slack receivers with the self-managed backend/],
  ['an unknown backend', (f) => ({ cluster: f.cluster, backend: 'prometheus' as never }), /backend = "prometheus"\. Allowed: one of "self-managed", "managed"/],
  ['self-managed without a cluster', (f) => ({ cloud: f.cloud }), /invalid cluster = undefined\. Allowed: a cluster to run kube-prometheus-stack in/],
  ['neither cloud nor cluster', () => ({ backend: 'managed' }), /invalid cloud = undefined/],
  ['a retention that is not a duration', (f) => ({ cluster: f.cluster, selfManaged: { retention: '2 weeks' } }), /selfManaged\.retention = "2 weeks"/],
  ['a tiny Prometheus volume', (f) => ({ cluster: f.cluster, selfManaged: { storageGiB: 1 } }), /selfManaged\.storageGiB = 1\. Allowed: an integer >= 10/],
  ['selfManaged options with the managed backend', (f) => ({ cluster: f.cluster, backend: 'managed', selfManaged: { retention: '7d' } }), /selfManaged = .*only with backend "self-managed"/],
  ['a runbook URL over http', (f) => ({ cluster: f.cluster, alerts: { runbookBaseUrl: 'http://wiki/runbooks' } }), /alerts\.runbookBaseUrl = "http:\/\/wiki\/runbooks"/],
  ['a GPU idle threshold above 100%', (f) => ({ cluster: f.cluster, alerts: { gpu: { idleUtilizationPercent: 150 } } }), /alerts\.gpu\.idleUtilizationPercent = 150/],
];

describe('bad props throw InvalidPropError before any child is created', () => {
  test.each(cases)('%s', (_name, props, message) => {
    const f = fixture('aws');
    const err = expectInvalid(() => new MonitoringStack(f.stack, 'obs', props(f)), message);
    expect(err.constructPath).toBe('mon-aws/obs');
    expect(f.stack.node.tryFindChild('obs')?.node.children ?? []).toHaveLength(0);
  });

  test('GCP budgets need the billing account id', () => {
    const f = fixture('gcp');
    expectInvalid(() => new MonitoringStack(f.stack, 'obs', { cluster: f.cluster, budget: { monthlyUsd: 100 } }),
      /budget\.billingAccountId = undefined\. Allowed: the billing account id .*e\.g\. 012345-6789AB-CDEF01/);
    expectInvalid(() => new MonitoringStack(f.stack, 'obs2', { cluster: f.cluster, budget: { monthlyUsd: 100, billingAccountId: 'billing-1' } }),
      /budget\.billingAccountId = "billing-1"/);
  });

  test('Azure secret references need the Key Vault id', () => {
    const f = fixture('azure');
    expectInvalid(() => new MonitoringStack(f.stack, 'obs', { cluster: f.cluster, routing: { receivers: [{ name: 'oncall', pagerDutyRoutingKey: { secretName: 'pd' } }] } }),
      /routing\.receivers\[0\]\.pagerDutyRoutingKey\.keyVaultId = undefined/);
  });

  test('Managed Grafana is AWS only', () => {
    const f = fixture('gcp');
    expectInvalid(() => new MonitoringStack(f.stack, 'obs', { cluster: f.cluster, backend: 'managed', managed: { grafana: true } }), /managed\.grafana = true\. Allowed: AWS only/);
  });

  test('a cloud other than the cluster\'s', () => {
    const f = fixture('aws');
    expectInvalid(() => new MonitoringStack(f.stack, 'obs', { cluster: f.cluster, cloud: Cloud.gcp({ project: 'acme-ml', region: 'us-central1' }) }),
      /invalid cloud = "gcp us-central1"\. Allowed: the cluster's cloud \(aws us-east-1\)/);
  });
});

describe('watch', () => {
  test('each target once: a plain second watch is a no-op, one with other options an error', () => {
    const f = fixture('aws');
    const m = new MonitoringStack(f.stack, 'obs', { cluster: f.cluster });
    const before = m.ruleGroups.length;
    m.watch(f.cluster);
    expect(m.ruleGroups).toHaveLength(before);
    const ep = new FakeEndpoint(f.stack, 'Ep', f.cluster, 'chat', 'inference');
    m.watch(ep);
    expectInvalid(() => m.watch(ep, { latencyP95Seconds: 3 }), /watch = "mon-aws\/Ep"\. Allowed: each target once/);
  });

  test('a workload on another cluster is refused', () => {
    const f = fixture('aws');
    const other = new FakeGpuCluster(f.stack, 'Other', { cloud: f.cloud });
    const m = new MonitoringStack(f.stack, 'obs', { cluster: f.cluster });
    expectInvalid(() => m.watch(new FakeEndpoint(f.stack, 'Ep', other, 'chat', 'inference')), /watch = "mon-aws\/Ep"\. Allowed: a workload on the monitored cluster/);
    expectInvalid(() => m.watch(other), /Allowed: the stack's cluster \(mon-aws\/Cluster\); make one MonitoringStack per cluster/);
  });

  test('bad watch options', () => {
    const f = fixture('aws');
    const m = new MonitoringStack(f.stack, 'obs', { cluster: f.cluster });
    expectInvalid(() => m.watch(new FakeEndpoint(f.stack, 'Ep', f.cluster, 'chat', 'inference'), { availability: 99.9 }), /watch options\.availability = 99\.9/);
    expectInvalid(() => m.watch(new FakeTrainingJob(f.stack, 'Job', f.cluster, 'pretrain', 'research'), { checkpointStaleAfter: '2 hours' }),
      /watch options\.checkpointStaleAfter = "2 hours"/);
    expectInvalid(() => m.watch(new FakeEndpoint(f.stack, 'Ep2', f.cluster, 'chat', 'inference', 'tgi')), /an endpoint with runtime "builtin" or "vllm"/);
    expectInvalid(() => m.watch({ node: f.stack.node } as never), /Allowed: a GPU cluster, a tenant, an inference endpoint, a training job, a model pipeline or a bucket/);
  });

  test('a vLLM endpoint is watched through its own metric names', () => {
    const f = fixture('aws');
    const m = new MonitoringStack(f.stack, 'obs', { cluster: f.cluster });
    m.watch(new FakeEndpoint(f.stack, 'Ep', f.cluster, 'chat', 'inference', 'vllm'));
    const group = m.ruleGroups.find((g) => g.area === 'inference')!;
    expect(group.rules.map((r) => r.expr).join('\n')).toContain('vllm:time_to_first_token_seconds_bucket{namespace="inference",service="chat"}');
  });

  test('a bucket without a restore drill adds an info annotation, no rules', () => {
    const f = fixture('aws');
    const m = new MonitoringStack(f.stack, 'obs', { cluster: f.cluster });
    const bucket = new FakeBucket(f.stack, 'B', f.cloud, 'models');
    Object.defineProperty(bucket, 'restoreDrill', { value: undefined });
    const before = m.ruleGroups.length;
    m.watch(bucket);
    expect(m.ruleGroups).toHaveLength(before);
    const infos = m.node.metadata.filter((e) => e.type === '@cdktf/info');
    expect(JSON.stringify(infos)).toMatch(/has no restore drill/);
  });

  test('without receivers the stack warns that alerts reach only the cloud channel', () => {
    const f = fixture('gcp');
    const m = new MonitoringStack(f.stack, 'obs', { cluster: f.cluster });
    const warnings = m.node.metadata.filter((e) => e.type === '@cdktf/warn');
    expect(JSON.stringify(warnings)).toMatch(/no routing\.receivers/);
  });
});

describe('ordering with watched endpoints', () => {
  test.each([['self-managed', 'kube-prometheus-stack'], ['managed', 'prometheus-operator-crds']] as const)(
    '%s: the endpoint release (with its ServiceMonitor) is applied after %s', (backend, chart) => {
      const { KubernetesWorkload } = require('../../src/k8s/delivery') as typeof import('../../src/k8s/delivery');
      const f = fixture('gcp');
      const m = new MonitoringStack(f.stack, 'obs', { cluster: f.cluster, backend });
      const endpoint = new FakeEndpoint(f.stack, 'Chat', f.cluster, 'chat', 'inference');
      const workload = new KubernetesWorkload(endpoint, 'Workload', { cluster: f.cluster, namespace: 'inference' });
      workload.addObject('Sm', { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'chat' }, spec: { endpoints: [], selector: {} } });
      Object.defineProperty(endpoint, 'workload', { value: workload });
      m.watch(endpoint);
      const out = JSON.parse(Testing.synth(f.stack));
      const releases = out.resource.helm_release as Record<string, { chart: string; depends_on?: string[] }>;
      const [crdName] = Object.entries(releases).find(([, r]) => r.chart === chart)!;
      const endpointRelease = Object.entries(releases).find(([name]) => name.startsWith('Chat_Workload'))![1];
      expect(JSON.stringify(endpointRelease.depends_on)).toContain(`helm_release.${crdName}`);
    });
});

describe('a real InferenceEndpoint and TrainingJob', () => {
  test('the endpoint registers itself with its SLO; a training job is watched by its names', () => {
    const { Gpu } = require('../../src/core/gpu') as typeof import('../../src/core/gpu');
    const { GpuTrainingCluster } = require('../../src/training/gpu-training-cluster') as typeof import('../../src/training/gpu-training-cluster');
    const { InferenceEndpoint } = require('../../src/inference/inference-endpoint') as typeof import('../../src/inference/inference-endpoint');
    const { ModelBackupBucket } = require('../../src/backup/model-backup-bucket') as typeof import('../../src/backup/model-backup-bucket');
    const app = Testing.app();
    const stack = new TerraformStack(app, 'platform');
    const cloud = Cloud.aws({ region: 'us-east-1' });
    const models = new ModelBackupBucket(stack, 'models', { cloud });
    const cluster = new GpuTrainingCluster(stack, 'train', { cloud, gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2 }] });
    const monitoring = new MonitoringStack(stack, 'obs', { cluster });
    const endpoint = new InferenceEndpoint(stack, 'chat', {
      cluster, monitoring, image: 'ghcr.io/acme/aiinfra-server:0.1.0',
      model: models.model('checkpoints/pretrain', { parameterCount: 1_210_000_000 }),
      slo: { latencyP95Seconds: 8, availability: 0.995 },
    });
    const rules = monitoring.ruleGroups.find((g) => g.area === 'inference')!.rules;
    expect(rules.find((r) => r.name === 'EndpointLatencyP95OverSlo')!.expr).toMatch(/> 8$/);
    expect(rules.find((r) => r.name === 'EndpointTtftP95OverSlo')!.expr).toMatch(/> 1$/);
    expect(() => monitoring.watch(endpoint, { availability: 0.99 })).toThrow(/each target once/);
    expect(rules.find((r) => r.name === 'EndpointErrorBudgetBurnFast')!.expr).toContain('> 0.072');
    expect(rules[0].expr).toContain(endpoint.selector());
    const job = cluster.addTrainingJob('pretrain', { nodes: 1, gpusPerNode: 8, checkpoints: models, model: { preset: 'gpt-tiny' } } as never);
    monitoring.watch(job);
    const training = monitoring.ruleGroups.find((g) => g.area === 'training')!;
    expect(training.name).toBe(`aiinfra-training-${job.namespace}-${job.jobName}`);
    const out = JSON.parse(Testing.synth(stack));
    const release = out.resource.helm_release[endpoint.workload.release.friendlyUniqueId];
    expect(JSON.stringify(release.depends_on)).toContain('helm_release.obs_KubePrometheusStack');
  });
});

describe('a real RestoreDrill', () => {
  test('is watched for failed and overdue drills', () => {
    const { Gpu } = require('../../src/core/gpu') as typeof import('../../src/core/gpu');
    const { GpuTrainingCluster } = require('../../src/training/gpu-training-cluster') as typeof import('../../src/training/gpu-training-cluster');
    const { ModelBackupBucket } = require('../../src/backup/model-backup-bucket') as typeof import('../../src/backup/model-backup-bucket');
    const { RestoreDrill } = require('../../src/backup/restore-drill') as typeof import('../../src/backup/restore-drill');
    const app = Testing.app();
    const stack = new TerraformStack(app, 'platform');
    const cloud = Cloud.gcp({ project: 'acme-ml', region: 'us-central1' });
    const models = new ModelBackupBucket(stack, 'models', { cloud });
    const cluster = new GpuTrainingCluster(stack, 'train', { cloud, gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2 }] });
    const monitoring = new MonitoringStack(stack, 'obs', { cluster });
    const drill = new RestoreDrill(stack, 'drill', { cluster, store: models });
    monitoring.watch(drill, { maxDrillAgeDays: 3 });
    const group = monitoring.ruleGroups.find((g) => g.name.startsWith('aiinfra-backup-'))!;
    expect(group.rules.map((r) => r.name)).toEqual(['BackupRestoreDrillFailed', 'BackupRestoreDrillOverdue']);
    expect(group.rules[0].expr).toBe(`kube_job_status_failed{namespace="${drill.namespace}",job_name=~"${drill.jobName}.*"} > 0`);
    expect(group.rules[1].expr).toMatch(/> 259200$/);
  });
});

describe('bucket.addRestoreDrill', () => {
  test('watching the bucket alerts on its drill', () => {
    const { Gpu } = require('../../src/core/gpu') as typeof import('../../src/core/gpu');
    const { GpuTrainingCluster } = require('../../src/training/gpu-training-cluster') as typeof import('../../src/training/gpu-training-cluster');
    const { ModelBackupBucket } = require('../../src/backup/model-backup-bucket') as typeof import('../../src/backup/model-backup-bucket');
    const stack = new TerraformStack(Testing.app(), 'platform');
    const cloud = Cloud.gcp({ project: 'acme-ml', region: 'us-central1' });
    const models = new ModelBackupBucket(stack, 'models', { cloud });
    const cluster = new GpuTrainingCluster(stack, 'train', { cloud, gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2 }] });
    const monitoring = new MonitoringStack(stack, 'obs', { cluster });
    const drill = models.addRestoreDrill('drill', { cluster, schedule: '@weekly' });
    monitoring.watch(models, { maxDrillAgeDays: 9 });
    const group = monitoring.ruleGroups.find((g) => g.name.startsWith('aiinfra-backup-'))!;
    expect(group.rules.map((r) => r.name)).toEqual(['BackupRestoreDrillFailed', 'BackupRestoreDrillOverdue']);
    expect(group.rules[0].expr).toBe(`kube_job_status_failed{namespace="${drill.namespace}",job_name=~"${drill.jobName}.*"} > 0`);
    expect(JSON.stringify(monitoring.node.metadata)).not.toMatch(/has no restore drill/);
  });
});

describe('managed backend without a cluster', () => {
  test('budgets and channels only; watching a workload needs the cluster', () => {
    const f = fixture('aws');
    const m = new MonitoringStack(f.stack, 'obs', { cloud: f.cloud, backend: 'managed', budget: { monthlyUsd: 1000 } });
    expect(m.workload).toBeUndefined();
    expect(m.resources.budget).toBeDefined();
    expectInvalid(() => m.watch(new FakeTrainingJob(f.stack, 'Job', f.cluster, 'pretrain', 'research')),
      /obs: invalid cluster = undefined\. Allowed: a cluster \(props\.cluster\) whose workloads are scraped, to watch mon-aws\/Job/);
  });
});

describe('endpoint scraping on the self-managed backend', () => {
  test('an endpoint with its own ServiceMonitor is not scraped twice; one without gets a PodMonitor', () => {
    const { manifestsOf } = require('../k8s/validate') as typeof import('../k8s/validate');
    const f = fixture('aws');
    const m = new MonitoringStack(f.stack, 'obs', { cluster: f.cluster });
    const withMonitor = new FakeEndpoint(f.stack, 'A', f.cluster, 'chat', 'inference');
    Object.defineProperty(withMonitor, 'objects', { value: [{ kind: 'Deployment' }, { kind: 'ServiceMonitor' }] });
    m.watch(withMonitor);
    m.watch(new FakeEndpoint(f.stack, 'B', f.cluster, 'code', 'inference'));
    const monitors = manifestsOf(m.workload!).filter((o) => o.kind === 'PodMonitor').map((o) => o.metadata.name);
    expect(monitors).toEqual(['aiinfra-dcgm-exporter', 'aiinfra-endpoint-code']);
  });
});

describe('budget against the cost estimate (issue 16)', () => {
  const { GpuTrainingCluster } = require('../../src/training/gpu-training-cluster') as typeof import('../../src/training/gpu-training-cluster');
  const { Gpu } = require('../../src/core/gpu') as typeof import('../../src/core/gpu');
  const warnings = (m: MonitoringStack) => m.node.metadata.filter((e) => e.type === '@cdktf/warn').map((e) => String(e.data));

  test.each([['aws'], ['gcp'], ['azure']] as const)('%s: a budget under a tenth of the estimate warns with both figures; a fitting one does not', (cloudName) => {
    const cloud = { aws: () => Cloud.aws({ region: 'us-east-1' }), gcp: () => Cloud.gcp({ project: 'acme-ml', region: 'us-central1' }), azure: () => Cloud.azure({ location: 'eastus2' }) }[cloudName]();
    const budget = cloudName === 'gcp' ? { billingAccountId: '012345-6789AB-CDEF01' } : {};
    const build = (monthlyUsd: (estimate: number) => number) => {
      const stack = new TerraformStack(Testing.app(), 'platform');
      const cluster = new GpuTrainingCluster(stack, 'train', { cloud, gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2 }] });
      return { cluster, m: new MonitoringStack(stack, 'obs', { cluster, budget: { monthlyUsd: monthlyUsd(cluster.estimatedMonthlyCost), ...budget } }) };
    };
    const low = build(() => 5_000);
    const estimate = low.cluster.estimatedMonthlyCost;
    expect(estimate).toBeGreaterThan(50_000);
    expect(warnings(low.m)).toContainEqual(expect.stringMatching(new RegExp(
      `budget\\.monthlyUsd 5000 USD is far below the cost estimate of platform/train, ${estimate} USD/month .*buys about \\d+ h`)));
    const ok = build((e) => Math.ceil(e / 2)).m;
    expect(warnings(ok).join('\n')).not.toMatch(/far below/);
  });
});

test('an idle GPU threshold under 1 percent warns that it is not a fraction (issue 16)', () => {
  const f = fixture('aws');
  const m = new MonitoringStack(f.stack, 'obs', { cluster: f.cluster, alerts: { gpu: { idleUtilizationPercent: 0.1 } } });
  const warned = m.node.metadata.filter((e) => e.type === '@cdktf/warn').map((e) => String(e.data));
  expect(warned).toContainEqual(expect.stringMatching(/alerts\.gpu\.idleUtilizationPercent 0\.1 means 0\.1 % utilization, not 10 %; write 10 if a fraction was meant/));
  const f2 = fixture('aws');
  const ok = new MonitoringStack(f2.stack, 'obs', { cluster: f2.cluster, alerts: { gpu: { idleUtilizationPercent: 5 } } });
  expect(ok.node.metadata.map((e) => String(e.data)).join('\n')).not.toMatch(/idleUtilizationPercent/);
});
