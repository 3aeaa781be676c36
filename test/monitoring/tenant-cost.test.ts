// Cost per tenant and queue visibility (issue 22 items 1 and 2) as MonitoringStack synthesizes them, per cloud:
// the price table from the pools' machines, tenant rule groups, Kueue scraping and kube-state-metrics settings.
// The numbers the rules compute are checked by promtool (test/monitoring/promtool/cost.test.yaml).
import { Testing } from 'cdktf';
import { parse } from 'yaml';
import { Gpu } from '../../src/core/gpu';
import { GpuPoolInfo } from '../../src/core/cluster';
import { CostProps } from '../../src/monitoring/cost-prices';
import { MonitoringStack } from '../../src/monitoring/monitoring-stack';
import { Tenant } from '../../src/training/tenant';
import { FakeGpuCluster, H100_POOL } from '../k8s/fake-cluster';
import { findObject, findObjects, manifestsOf } from '../k8s/validate';
import { CLOUDS, CloudName, expectInvalid, ofType, synth } from './helpers';
import { TerraformStack } from 'cdktf';

const MACHINES: Record<CloudName, string> = { aws: 'p5.48xlarge', gcp: 'a3-highgpu-8g', azure: 'Standard_ND96isr_H100_v5' };

function pool(cloudName: CloudName, overrides: Partial<GpuPoolInfo> = {}): GpuPoolInfo {
  return {
    ...H100_POOL, machineType: MACHINES[cloudName], capacity: ['reserved', 'on-demand', 'spot'],
    nodeSelector: { 'cdktf-ai-infra/pool': 'h100' }, ...overrides,
  };
}

function build(cloudName: CloudName, pools?: GpuPoolInfo[], cost?: CostProps) {
  const app = Testing.app();
  const stack = new TerraformStack(app, `cost-${cloudName}`);
  const cloud = CLOUDS[cloudName]();
  const cluster = new FakeGpuCluster(stack, 'Cluster', { cloud, pools: pools ?? [pool(cloudName)] });
  const monitoring = new MonitoringStack(stack, 'obs', { cluster, budget: { monthlyUsd: 500_000, billingAccountId: '012345-6789AB-CDEF01' }, cost });
  return { stack, cluster, monitoring, cloud };
}

describe.each(Object.keys(CLOUDS) as CloudName[])('cost per tenant on %s (self-managed)', (cloudName) => {
  const b = build(cloudName);
  const research = new Tenant(b.stack, 'research', { cluster: b.cluster, gpuQuota: 16, monthlyBudgetUsd: 20_000, admins: ['ml-admins'] });
  const idle = new Tenant(b.stack, 'idle', { cluster: b.cluster, gpuQuota: 8 });
  b.monitoring.watch(research, { queuePendingLimit: '45m' });
  b.monitoring.watch(idle);
  const out = synth(b.stack);
  const objects = manifestsOf(b.stack);
  const listPerGpu = Gpu.H100_80GB.machineByName(b.cloud.kind, MACHINES[cloudName])!.pricePerHourUsd / 8;
  const round = (n: number) => Math.round(n * 10_000) / 10_000;

  test('price table: the catalog price of the pool\'s machine per GPU, by capacity type (reserved 0.65, spot 0.4)', () => {
    const group = findObject(objects, 'PrometheusRule', 'aiinfra-cost').spec.groups[0];
    const prices = group.rules.filter((r: { record?: string }) => r.record === 'aiinfra:gpu_price_usd_per_gpu_hour');
    expect(prices).toEqual([
      { record: 'aiinfra:gpu_price_usd_per_gpu_hour', expr: `vector(${round(listPerGpu * 0.65)})`, labels: { pool: 'h100', capacity: 'reserved', machine: MACHINES[cloudName] } },
      { record: 'aiinfra:gpu_price_usd_per_gpu_hour', expr: `vector(${round(listPerGpu)})`, labels: { pool: 'h100', capacity: 'on-demand', machine: MACHINES[cloudName] } },
      { record: 'aiinfra:gpu_price_usd_per_gpu_hour', expr: `vector(${round(listPerGpu * 0.4)})`, labels: { pool: 'h100', capacity: 'spot', machine: MACHINES[cloudName] } },
    ]);
    expect(group.rules.map((r: { record?: string }) => r.record)).toContain('aiinfra:namespace_gpu_cost_usd_per_hour');
  });

  test('each watched tenant: quota and idle-quota series, budget alerts only with a budget, the pending alert with its limit', () => {
    const mine = findObject(objects, 'PrometheusRule', 'aiinfra-tenant-research').spec.groups[0].rules;
    expect(mine.filter((r: { alert?: string }) => r.alert).map((r: { alert: string }) => r.alert)).toEqual(['TenantGpuBudgetBurn', 'TenantGpuBudgetOverrun', 'TenantJobPendingTooLong']);
    const idleQuota = mine.find((r: { record?: string }) => r.record === 'aiinfra:tenant_idle_quota_cost_usd_per_hour');
    expect(idleQuota.expr).toBe(`clamp_min(vector(16) - (sum(aiinfra:namespace_gpus:allocated{namespace="research"}) or vector(0)), 0) * ${round(listPerGpu)}`);
    const burn = mine.find((r: { alert?: string }) => r.alert === 'TenantGpuBudgetBurn');
    expect(burn.expr).toContain('> 20000');
    expect(burn.labels).toMatchObject({ severity: 'warning', area: 'tenant', aiinfra_tenant: 'research', category: 'cost' });
    expect(mine.find((r: { alert?: string }) => r.alert === 'TenantJobPendingTooLong').expr).toMatch(/> 2700$/);
    const other = findObject(objects, 'PrometheusRule', 'aiinfra-tenant-idle').spec.groups[0].rules;
    expect(other.filter((r: { alert?: string }) => r.alert).map((r: { alert: string }) => r.alert)).toEqual(['TenantJobPendingTooLong']);
  });

  test('Kueue\'s controller is scraped over HTTPS with Prometheus\' token, from the pinned chart\'s metrics Service', () => {
    const sm = findObjects(objects, 'ServiceMonitor').find((o) => o.metadata.name === 'aiinfra-kueue')!;
    expect(sm.spec).toMatchObject({
      namespaceSelector: { matchNames: ['kueue-system'] },
      selector: { matchLabels: { 'app.kubernetes.io/name': 'kueue', 'app.kubernetes.io/instance': 'kueue', 'app.kubernetes.io/component': 'metrics-service' } },
    });
    expect(sm.spec.endpoints[0]).toMatchObject({ port: 'https', scheme: 'https', bearerTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' });
    expect(sm.metadata.labels['app.kubernetes.io/managed-by']).toBe('cdktf-ai-infra');
  });

  test('kube-state-metrics exports the node pool/capacity and workload labels and Kueue Workload conditions, reading only Workloads more', () => {
    const kps = Object.values(ofType(out, 'helm_release')).find((r) => r.chart === 'kube-prometheus-stack')!;
    const ksm = parse((kps.values as string[])[0])['kube-state-metrics'];
    expect(ksm.metricLabelsAllowlist).toEqual(['nodes=[cdktf-ai-infra/pool,cdktf-ai-infra/capacity]', 'pods=[ai-infra/training-job,app.kubernetes.io/name]']);
    expect(ksm.rbac.extraRules).toEqual([{ apiGroups: ['kueue.x-k8s.io'], resources: ['workloads'], verbs: ['list', 'watch'] }]);
    const resource = ksm.customResourceState.config.spec.resources[0];
    expect(ksm.customResourceState.enabled).toBe(true);
    expect(resource.groupVersionKind).toEqual({ group: 'kueue.x-k8s.io', version: 'v1beta1', kind: 'Workload' });
    expect(resource.metricNamePrefix).toBe('aiinfra_kueue_workload');
  });

  test('the tenant may read its own queue\'s positions, and nothing cluster-wide', () => {
    const tenantObjects = research.workload.render().objects as { kind: string; metadata: { name: string }; rules?: unknown[]; subjects?: unknown[]; roleRef?: unknown }[];
    const role = tenantObjects.find((o) => o.kind === 'Role' && o.metadata.name === 'tenant-queue-viewer')!;
    expect(role.rules).toEqual([
      { apiGroups: ['visibility.kueue.x-k8s.io'], resources: ['localqueues/pendingworkloads'], resourceNames: ['research'], verbs: ['get'] },
      { apiGroups: ['kueue.x-k8s.io'], resources: ['localqueues'], resourceNames: ['research'], verbs: ['get'] },
      { apiGroups: ['kueue.x-k8s.io'], resources: ['workloads'], verbs: ['get', 'list', 'watch'] },
    ]);
    const binding = tenantObjects.find((o) => o.kind === 'RoleBinding' && o.metadata.name === 'tenant-queue-viewers')!;
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'tenant-queue-viewer' });
    expect(binding.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'ml-admins' }]);
    expect(tenantObjects.some((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toBe(false);
    // no admins: the Role exists, nobody is bound
    expect((idle.workload.render().objects as { kind: string }[]).filter((o) => o.kind === 'RoleBinding' || o.kind === 'Role').map((o) => o.kind)).toEqual(['Role']);
  });
});

describe('cost per tenant: prices and validation', () => {
  test('your prices per pool and capacity replace the estimates', () => {
    const b = build('aws', undefined, { nodeHourPricesUsd: { h100: { spot: 20, reserved: 40 } }, spotPriceRatio: 0.3 });
    const records = b.monitoring.ruleGroups.find((g) => g.name === 'aiinfra-cost')!.records!;
    expect(records.filter((r) => r.record === 'aiinfra:gpu_price_usd_per_gpu_hour').map((r) => [r.labels!.capacity, r.expr]))
      .toEqual([['reserved', 'vector(5)'], ['on-demand', `vector(${Math.round(Gpu.H100_80GB.machineByName('aws', 'p5.48xlarge')!.pricePerHourUsd / 8 * 10_000) / 10_000})`], ['spot', 'vector(2.5)']]);
  });

  test('a pool whose machine is not in the catalog and has no price is left out, with a warning', () => {
    const b = build('gcp', [pool('gcp', { name: 'mystery', machineType: 'x9-custom', nodeSelector: { 'cdktf-ai-infra/pool': 'mystery' } })]);
    expect(b.monitoring.ruleGroups.find((g) => g.name === 'aiinfra-cost')).toBeUndefined();
    const messages = b.monitoring.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
    expect(messages.join('\n')).toMatch(/no price for mystery\/reserved, mystery\/on-demand, mystery\/spot .*cost\.nodeHourPricesUsd/);
  });

  test('a tenant budget no MonitoringStack watches warns at synth (nothing would alert on it); a watched one does not', () => {
    const stack = new TerraformStack(Testing.app(), 'budget');
    const cluster = new FakeGpuCluster(stack, 'Cluster', { pools: [pool('aws')] });
    const monitoring = new MonitoringStack(stack, 'obs', { cluster });
    const lonely = new Tenant(stack, 'lonely', { cluster, gpuQuota: 8, monthlyBudgetUsd: 5000 });
    const watched = new Tenant(stack, 'watched', { cluster, gpuQuota: 8, monthlyBudgetUsd: 5000 });
    const noBudget = new Tenant(stack, 'free', { cluster, gpuQuota: 8 });
    monitoring.watch(watched);
    Testing.synth(stack);
    const warnings = (t: Tenant) => t.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
    expect(warnings(lonely)).toEqual(['budget/lonely: monthlyBudgetUsd 5000 is set but no MonitoringStack watches the tenant, so nothing alerts on it: call monitoring.watch(tenant).']);
    expect(warnings(watched)).toEqual([]);
    expect(warnings(noBudget)).toEqual([]);
  });

  test('bad cost props and tenant budgets are errors naming the prop, the value and what is allowed', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'bad');
    const cluster = new FakeGpuCluster(stack, 'Cluster', { pools: [pool('aws')] });
    expectInvalid(() => new MonitoringStack(stack, 'a', { cluster, cost: { spotPriceRatio: 40 } }), /cost\.spotPriceRatio/, /40/);
    expectInvalid(() => new MonitoringStack(stack, 'b', { cluster, cost: { nodeHourPricesUsd: { a100: { spot: 1 } } } }),
      /cost\.nodeHourPricesUsd/, /a GPU pool of the monitored cluster \(h100\)/);
    expectInvalid(() => new MonitoringStack(stack, 'c', { cluster, cost: { nodeHourPricesUsd: { h100: { preemptible: 1 } as never } } }), /cost\.nodeHourPricesUsd\.h100/);
    expectInvalid(() => new Tenant(stack, 'broke', { cluster, gpuQuota: 8, monthlyBudgetUsd: 0 }), /monthlyBudgetUsd/, /0/);
    const m = new MonitoringStack(stack, 'd', { cluster });
    const t = new Tenant(stack, 'team', { cluster, gpuQuota: 8 });
    expectInvalid(() => m.watch(t, { queuePendingLimit: '1m' }), /queuePendingLimit/, /5m to 30d/);
  });

  test('managed backend: tenant rules go to the cloud\'s evaluator; an info says Kueue\'s controller is not scraped', () => {
    const b = (() => {
      const app = Testing.app();
      const stack = new TerraformStack(app, 'managed-gcp');
      const cloud = CLOUDS.gcp();
      const cluster = new FakeGpuCluster(stack, 'Cluster', { cloud, pools: [pool('gcp')] });
      const monitoring = new MonitoringStack(stack, 'obs', { cluster, backend: 'managed' });
      monitoring.watch(new Tenant(stack, 'research', { cluster, gpuQuota: 8, monthlyBudgetUsd: 1000 }));
      return { stack, monitoring };
    })();
    const objects = manifestsOf(b.stack);
    const rules = findObjects(objects, 'ClusterRules');
    expect(rules.map((r) => r.metadata.name).sort()).toEqual(['aiinfra-cost', 'aiinfra-tenant-research']);
    expect(rules[0].apiVersion).toBe('monitoring.googleapis.com/v1');
    const infos = b.monitoring.node.metadata.filter((m) => m.type === '@cdktf/info').map((m) => String(m.data)).join('\n');
    expect(infos).toMatch(/does not scrape Kueue's controller/);
    const policies = Object.values(ofType(synth(b.stack), 'google_monitoring_alert_policy')).map((p) => p.display_name as string);
    expect(policies.some((p) => p.includes('TenantGpuBudgetBurn'))).toBe(true);
  });
});
