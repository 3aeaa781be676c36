// Flagger's own metrics reach Prometheus (the pipeline's rollback alert reads flagger_canary_status): the controller is
// scraped once a watched pipeline deploys through a canary, by the pod labels and port name of the pinned chart, and
// the alert matches the labels Flagger's recorder gives the series. Labels, port and metric are read from Flagger's
// Go module at the chart's version (the module carries charts/flagger), not restated here.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Construct } from 'constructs';
import { Testing } from 'cdktf';
import { parse } from 'yaml';
import { Cloud, ModelPipeline } from '../../src';
import type { IProgressiveDeployTarget } from '../../src/core/deploy-target';
import { FLAGGER_CHART, FLAGGER_METRICS_PORT, FLAGGER_POD_LABELS } from '../../src/inference/progressive-delivery';
import { MonitoringStack } from '../../src/monitoring/monitoring-stack';
import { FLAGGER_CANARY_STATUS } from '../../src/monitoring/rules/pipeline';
import { scrapeJob } from '../../src/monitoring/scrape';
import { Tenant } from '../../src/training/tenant';
import { FakeStore } from '../training/fakes';
import { fixture } from './helpers';
import { findObjects, K8sObject, manifestsOf } from '../k8s/validate';

/** The source of the chart's Flagger version (Go module `github.com/fluxcd/flagger@v<chart version>`). */
function flaggerSource(): string {
  const r = spawnSync('go', ['mod', 'download', '-json', `github.com/fluxcd/flagger@v${FLAGGER_CHART.version}`], { encoding: 'utf8', env: { ...process.env, GOFLAGS: '-mod=mod' } });
  if (r.status !== 0) throw new Error(`go mod download flagger ${FLAGGER_CHART.version} failed: ${r.stderr}`);
  return JSON.parse(r.stdout).Dir as string;
}

/** A stand-in for an InferenceEndpoint with a Flagger canary. */
class FakeEndpoint extends Construct implements IProgressiveDeployTarget {
  public readonly cloud: Cloud;
  public readonly namespace = 'serving';
  public readonly deploymentName = 'chat';
  public readonly canaryName = 'chat';
  public readonly modelVersionAnnotation = 'ai-infra/model-version';
  public readonly registry: IProgressiveDeployTarget['registry'];
  constructor(scope: Construct, id: string, store: FakeStore) {
    super(scope, id);
    this.cloud = store.cloud;
    this.registry = { store, path: 'team/models/chat', uri: `${store.uri}/team/models/chat`, alias: 'production' };
  }
}

function pipelines(cloudName: 'aws' | 'gcp' | 'azure', backend: 'self-managed' | 'managed', withDeploy: boolean) {
  const f = fixture(cloudName);
  const store = new FakeStore(f.stack, 'Models', f.cloud);
  const tenant = new Tenant(f.stack, 'team', { cluster: f.cluster, gpuQuota: 8, store });
  const endpoint = new FakeEndpoint(f.stack, 'Chat', store);
  const common = { cluster: f.cluster, tenant, image: 'registry.example.com/trainer:1', train: { preset: 'gpt-125m' as const, gpusPerNode: 8 } };
  const deploy = withDeploy ? { deploy: { endpoint } } : {};
  const a = new ModelPipeline(f.stack, 'a', { ...common, ...deploy, data: { store, prefix: 'team/raw/a/' } });
  const b = new ModelPipeline(f.stack, 'b', { ...common, ...deploy, data: { store, prefix: 'team/raw/b/' } });
  const m = new MonitoringStack(f.stack, 'obs', { cluster: f.cluster, backend });
  m.watch(a);
  m.watch(b);
  return { f, m };
}

describe('Flagger\'s metrics, as the pinned chart and Flagger serve them', () => {
  const dir = flaggerSource();
  const deployment = fs.readFileSync(path.join(dir, 'charts/flagger/templates/deployment.yaml'), 'utf8');
  const chartName = /^name:\s*(\S+)/m.exec(fs.readFileSync(path.join(dir, 'charts/flagger/Chart.yaml'), 'utf8'))![1];

  test('the pod labels and the metrics port are the chart\'s (chart name, release name; the `http` container port)', () => {
    const template = deployment.slice(deployment.indexOf('  template:'));
    const labels = template.slice(template.indexOf('labels:'), template.indexOf('annotations:'));
    expect(labels).toContain('app.kubernetes.io/name: {{ template "flagger.name" . }}');
    expect(labels).toContain('app.kubernetes.io/instance: {{ .Release.Name }}');
    expect(FLAGGER_POD_LABELS).toEqual({ 'app.kubernetes.io/name': chartName, 'app.kubernetes.io/instance': FLAGGER_CHART.releaseName });
    expect(deployment).toMatch(new RegExp(`- name: ${FLAGGER_METRICS_PORT.name}\\s+containerPort: ${FLAGGER_METRICS_PORT.port}\\b`));
    // no admission webhook in the chart: nothing for the API server to call in flagger-system
    const templates = fs.readdirSync(path.join(dir, 'charts/flagger/templates')).map((t) => fs.readFileSync(path.join(dir, 'charts/flagger/templates', t), 'utf8')).join('\n');
    expect(templates).not.toMatch(/kind:\s*(Validating|Mutating)WebhookConfiguration/);
  });

  test('flagger_canary_status carries name and namespace (the Canary\'s), which the rollback alert matches', () => {
    const recorder = fs.readFileSync(path.join(dir, 'pkg/metrics/recorder.go'), 'utf8');
    // the subsystem is the controller's agent name (pkg/controller: metrics.NewRecorder(controllerAgentName, true))
    const controller = fs.readdirSync(path.join(dir, 'pkg/controller')).filter((f) => f.endsWith('.go')).map((f) => fs.readFileSync(path.join(dir, 'pkg/controller', f), 'utf8')).join('\n');
    expect(controller).toMatch(/metrics\.NewRecorder\(controllerAgentName, true\)/);
    expect(/controllerAgentName\s*=\s*"([^"]+)"/.exec(controller)?.[1]).toBe('flagger');
    expect(recorder).toMatch(/Subsystem: controller,\s+Name:\s+"canary_status"/);
    expect(recorder).toMatch(/Name:\s+"canary_status",[^}]*\}, \[\]string\{"name", "namespace"\}\)/);
    expect(FLAGGER_CANARY_STATUS).toBe('flagger_canary_status');
  });
});

describe('monitoring.watch(pipeline) with a canary scrapes Flagger', () => {
  test('self-managed: one PodMonitor of Flagger\'s pods (two pipelines), its `namespace` kept as exported_namespace, matched by the alert', () => {
    const { m } = pipelines('aws', 'self-managed', true);
    const monitors = m.selfManaged!.config.render().objects.filter((o) => o.kind === 'PodMonitor' && (o.metadata as { name: string }).name === 'aiinfra-flagger');
    expect(monitors).toHaveLength(1);
    const spec = monitors[0].spec as { selector: unknown; namespaceSelector: unknown; podMetricsEndpoints: { port: string; honorLabels?: boolean }[] };
    expect(spec.selector).toEqual({ matchLabels: FLAGGER_POD_LABELS });
    expect(spec.namespaceSelector).toEqual({ matchNames: [FLAGGER_CHART.namespace] });
    expect(spec.podMetricsEndpoints.map((e) => e.port)).toEqual([FLAGGER_METRICS_PORT.name]);
    // honorLabels off: the target's namespace (flagger-system) wins and Flagger's own becomes exported_namespace
    expect(spec.podMetricsEndpoints[0].honorLabels).toBeUndefined();
    const rollback = m.ruleGroups.find((g) => g.name === 'aiinfra-pipeline-team-a')!.rules.find((r) => r.name === 'ModelPipelineCanaryRolledBack')!;
    expect(rollback.expr).toContain(`${FLAGGER_CANARY_STATUS}{exported_namespace="serving",name="chat"}`);
  });

  test('a pipeline without a canary: Flagger is not scraped', () => {
    const { m } = pipelines('aws', 'self-managed', false);
    expect(m.selfManaged!.config.render().objects.filter((o) => (o.metadata as { name: string }).name === 'aiinfra-flagger')).toEqual([]);
  });

  test.each(['aws', 'gcp', 'azure'] as const)('managed backend on %s: the collector scrapes Flagger\'s pods in its namespace, on its port', (cloudName) => {
    const rendered = (withDeploy: boolean) => {
      const { f } = pipelines(cloudName, 'managed', withDeploy);
      return { synth: Testing.synth(f.stack), objects: manifestsOf(f.stack) };
    };
    const { synth, objects } = rendered(true);
    if (cloudName === 'aws') {
      // the AMP scraper's scrape configuration: a pod-discovery job kept to Flagger's namespace, pod labels and port name
      const scraper = Object.values((JSON.parse(synth) as { resource: Record<string, Record<string, { scrape_configuration: string }>> }).resource.aws_prometheus_scraper)[0];
      const jobs = (parse(scraper.scrape_configuration) as { scrape_configs: { job_name: string }[] }).scrape_configs;
      expect(jobs.find((j) => j.job_name === 'aiinfra-flagger')).toEqual(
        scrapeJob({ name: 'aiinfra-flagger', namespace: FLAGGER_CHART.namespace, podSelector: { ...FLAGGER_POD_LABELS }, port: FLAGGER_METRICS_PORT.name, interval: '30s' }));
    } else {
      // GMP PodMonitoring beside the pods; Azure's PodMonitor (azmonitoring.coreos.com) in kube-system
      const kind = cloudName === 'gcp' ? 'PodMonitoring' : 'PodMonitor';
      const pm = findObjects(objects, kind).find((o: K8sObject) => o.metadata.name === 'aiinfra-flagger')!;
      expect(pm).toBeDefined();
      const spec = pm.spec as { selector: unknown; endpoints?: { port: string }[]; podMetricsEndpoints?: { port: string }[]; namespaceSelector?: unknown };
      expect(spec.selector).toEqual({ matchLabels: FLAGGER_POD_LABELS });
      expect((spec.endpoints ?? spec.podMetricsEndpoints)![0].port).toBe(FLAGGER_METRICS_PORT.name);
      if (cloudName === 'gcp') expect(pm.metadata.namespace).toBe(FLAGGER_CHART.namespace);
      else expect(spec.namespaceSelector).toEqual({ matchNames: [FLAGGER_CHART.namespace] });
    }
    const plain = rendered(false);
    expect(`${plain.synth}\n${JSON.stringify(plain.objects)}`).not.toContain('aiinfra-flagger');
  });
});
