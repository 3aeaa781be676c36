// monitoring.watch(pipeline): the Argo controller scraped once, the pipeline's alert group with its schedule window and
// canary, and a second pipeline adds only its rules.
import { Testing } from 'cdktf';
import { ModelPipeline } from '../../src';
import { MonitoringStack } from '../../src/monitoring/monitoring-stack';
import { Tenant } from '../../src/training/tenant';
import { expectInvalid } from '../expect-invalid';
import { fixture } from '../monitoring/helpers';
import { FakeStore } from '../training/fakes';

describe('monitoring.watch(pipeline)', () => {
  test('alerts per pipeline; the controller scraped once', () => {
    const f = fixture('aws');
    const store = new FakeStore(f.stack, 'Models');
    const tenant = new Tenant(f.stack, 'team', { cluster: f.cluster, gpuQuota: 8, store });
    const common = { cluster: f.cluster, tenant, image: 'registry.example.com/trainer:1', train: { preset: 'gpt-125m' as const, gpusPerNode: 8 } };
    const a = new ModelPipeline(f.stack, 'a', { ...common, data: { store, prefix: 'team/raw/a/' }, trigger: { schedule: '0 3 * * *' } });
    const b = new ModelPipeline(f.stack, 'b', { ...common, data: { store, prefix: 'team/raw/b/' } });
    const m = new MonitoringStack(f.stack, 'obs', { cluster: f.cluster, backend: 'self-managed' });
    m.watch(a, { maxGateRejections: 5 });
    m.watch(b);
    const groups = m.ruleGroups.filter((g) => g.name.startsWith('aiinfra-pipeline-'));
    expect(groups.map((g) => g.name)).toEqual(['aiinfra-pipeline-team-a', 'aiinfra-pipeline-team-b']);
    const [ga, gb] = groups;
    expect(ga.rules.map((r) => r.name)).toEqual(['ModelPipelineRunFailed', 'ModelPipelineGateRejectedRepeatedly', 'ModelPipelineNoSuccessfulRun']);
    expect(ga.rules.find((r) => r.name === 'ModelPipelineNoSuccessfulRun')!.expr).toContain('[172800s]');
    expect(ga.rules.find((r) => r.name === 'ModelPipelineGateRejectedRepeatedly')!.expr).toMatch(/pipeline="a",pipeline_namespace="team"\}\) >= 5$/);
    // no schedule: no staleness alert
    expect(gb.rules.map((r) => r.name)).toEqual(['ModelPipelineRunFailed', 'ModelPipelineGateRejectedRepeatedly']);
    const monitors = m.selfManaged!.config.render().objects.filter((o) => o.kind === 'PodMonitor' && (o.metadata as { name: string }).name === 'aiinfra-argo-workflows');
    expect(monitors).toHaveLength(1);
    expect(monitors[0].spec).toMatchObject({
      selector: { matchLabels: { 'app.kubernetes.io/component': 'workflow-controller' } }, namespaceSelector: { matchNames: ['argo-workflows'] },
    });
    expectInvalid(() => m.watch(new ModelPipeline(f.stack, 'c', { ...common, data: { store, prefix: 'team/raw/c/' } }), { maxGateRejections: 0 }),
      /watch options\.maxGateRejections = 0/);
  });
});

describe.each(['aws', 'gcp', 'azure'] as const)('monitoring.watch(pipeline) on the managed backend of %s', (cloudName) => {
  test('the pipeline rules render for the cloud\'s rule evaluator and the controller is scraped', () => {
    const f = fixture(cloudName);
    const store = new FakeStore(f.stack, 'Models', f.cloud);
    const tenant = new Tenant(f.stack, 'team', { cluster: f.cluster, gpuQuota: 8, store });
    const p = new ModelPipeline(f.stack, 'chat-model', {
      cluster: f.cluster, tenant, image: 'registry.example.com/trainer:1', train: { preset: 'gpt-125m', gpusPerNode: 8 },
      data: { store, prefix: 'team/raw/' }, trigger: { schedule: '@daily' },
    });
    const m = new MonitoringStack(f.stack, 'obs', { cluster: f.cluster, backend: 'managed' });
    m.watch(p);
    const synth = Testing.synth(f.stack);
    expect(m.ruleGroups.find((g) => g.name === 'aiinfra-pipeline-team-chat-model')!.rules).toHaveLength(3);
    expect(synth).toContain('ModelPipelineNoSuccessfulRun');
  });
});
