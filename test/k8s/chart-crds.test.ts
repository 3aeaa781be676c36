// Issue 15 item 11: Helm installs a chart's crds/ once and never upgrades them. Every pinned chart states how its
// CRDs are upgraded; kube-prometheus-stack gets its CRDs from the CRD-only chart (templates) as its own release,
// and the GPU operator runs its CRD upgrade hook.
import { parse } from 'yaml';
import { Testing } from 'cdktf';
import { KEDA_CHART, KEDA_HTTP_ADDON_CHART } from '../../src/inference/addons';
import { FLAGGER_CHART } from '../../src/inference/progressive-delivery';
import { AWS_SECRETS_STORE_CHART } from '../../src/clouds/aws/inference';
import { AZURE_SECRETS_STORE_CHART } from '../../src/clouds/azure/inference';
import { Cloud } from '../../src/core/cloud';
import { MonitoringStack } from '../../src/monitoring/monitoring-stack';
import * as scrape from '../../src/monitoring/scrape';
import * as addOnCharts from '../../src/k8s/charts';
import { CrdHandling } from '../../src/k8s/charts';
import { clusterJson, release } from '../training/cluster-helpers';
import { fixture } from '../monitoring/helpers';

interface Chart { chart: string; version: string; repository: string; crds?: CrdHandling; appVersion?: string }

const isChart = (x: unknown): x is Chart =>
  typeof x === 'object' && x !== null && typeof (x as Chart).chart === 'string' && typeof (x as Chart).version === 'string' && typeof (x as Chart).repository === 'string';

/** Every chart the library pins: the exported catalogue constants and the per-cloud add-on charts. */
function catalogue(): Chart[] {
  const fromModules: Chart[] = ([...Object.values(addOnCharts), ...Object.values(scrape)] as unknown[]).filter(isChart);
  const secretStores: Chart[] = [AWS_SECRETS_STORE_CHART, AZURE_SECRETS_STORE_CHART];
  return [...fromModules, KEDA_CHART, KEDA_HTTP_ADDON_CHART, FLAGGER_CHART, ...secretStores];
}

const HANDLINGS: CrdHandling[] = ['none', 'templates', 'upgrade-hook', 'separate-chart', 'manual'];
/** Charts whose upstream package has a crds/ folder: Helm alone would never upgrade those CRDs. */
const CHARTS_WITH_CRDS_FOLDER = ['kube-prometheus-stack', 'gpu-operator', 'aws-load-balancer-controller',
  'secrets-store-csi-driver-provider-aws', 'csi-secrets-store-provider-azure'];

describe('CRD upgrades of pinned charts', () => {
  test('every pinned chart says how its CRDs are upgraded; none with a crds/ folder relies on Helm', () => {
    const charts = catalogue();
    expect(charts.map((c) => c.chart)).toEqual(expect.arrayContaining([...CHARTS_WITH_CRDS_FOLDER, 'kueue', 'keda', 'keda-add-ons-http', 'prometheus-operator-crds']));
    for (const c of charts) expect({ chart: c.chart, crds: HANDLINGS.includes(c.crds!) }).toEqual({ chart: c.chart, crds: true });
    for (const c of charts.filter((x) => CHARTS_WITH_CRDS_FOLDER.includes(x.chart))) {
      expect({ chart: c.chart, crds: c.crds }).not.toEqual({ chart: c.chart, crds: expect.stringMatching(/^(none|templates)$/) });
    }
  });

  test('the CRD chart is pinned to kube-prometheus-stack\'s operator version', () => {
    expect(scrape.KUBE_PROMETHEUS_STACK.crds).toBe('separate-chart');
    expect(scrape.PROMETHEUS_OPERATOR_CRDS.crds).toBe('templates');
    expect(scrape.PROMETHEUS_OPERATOR_CRDS.appVersion).toBe(scrape.KUBE_PROMETHEUS_STACK.appVersion);
  });

  test('self-managed: kube-prometheus-stack installs no CRDs and waits for the prometheus-operator-crds release, which adopts existing CRDs', () => {
    const f = fixture('aws');
    new MonitoringStack(f.stack, 'obs', { cluster: f.cluster, backend: 'self-managed' });
    const out = JSON.parse(Testing.synth(f.stack));
    const releases = out.resource.helm_release as Record<string, { chart: string; version: string; values: string[]; depends_on?: string[]; take_ownership?: boolean }>;
    const [crdId, crds] = Object.entries(releases).find(([, r]) => r.chart === 'prometheus-operator-crds')!;
    expect(crds).toMatchObject({ version: scrape.PROMETHEUS_OPERATOR_CRDS.version, take_ownership: true });
    const kps = Object.values(releases).find((r) => r.chart === 'kube-prometheus-stack')!;
    expect(parse(kps.values[0]).crds).toEqual({ enabled: false });
    expect(JSON.stringify(kps.depends_on)).toContain(`helm_release.${crdId}`);
  });

  // Flagger's chart has a crds/ folder too, but renders the same files as templates with crd.create: those upgrade
  // with the chart, and skip_crds keeps Helm's one-time crds/ install from colliding with them.
  test('Flagger renders its crds/ as templates (crd.create) and the release skips Helm\'s own crds/ install', () => {
    expect(FLAGGER_CHART).toMatchObject({ crds: 'templates', skipCrds: true, values: { crd: { create: true } } });
  });

  test('the GPU operator runs its CRD upgrade hook, without client-side validation against the old CRDs', () => {
    const op = release(clusterJson({ cloud: Cloud.aws({ region: 'us-east-1' }), gpuSoftware: 'gpu-operator' }).json, 'gpu-operator');
    expect(parse(op.values[0]).operator).toMatchObject({ upgradeCRD: true });
    expect(op.disable_openapi_validation).toBe(true);
  });
});
