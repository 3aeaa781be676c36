// The DaemonSets that must run on every GPU node (device plugin, DCGM exporter, GPU operator, the XID remediation) tolerate every taint
// of every GPU pool, on every cloud: a pool whose extra taint they do not tolerate (a GKE compute class, AKS spot)
// has no device plugin or GPU metrics, and the GPU alerts are blind exactly on those nodes.
import { App } from 'cdktf';
import { parse } from 'yaml';
import { Platform } from '../../examples/platform/platform';
import { Cloud } from '../../src/core/cloud';
import { byId, Json } from './cluster-helpers';
import { SynthQuery } from '../synth-query';

const GPU_DAEMONSETS = ['nvidia-device-plugin', 'dcgm-exporter', 'gpu-operator', 'gpu-xid-remediation'];

interface Toleration { key?: string; operator?: string; value?: string; effect?: string }
interface Taint { key: string; value: string; effect: string }

function tolerates(tolerations: readonly Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => (t.key === undefined || t.key === taint.key)
    && (t.operator === 'Exists' || t.value === taint.value)
    && (!t.effect || t.effect === taint.effect));
}

/** Every toleration list in a release's values (chart-specific paths: tolerations, daemonsets.tolerations). */
function tolerationsOf(release: Json): Toleration[][] {
  const values = (release.values ?? []).map((v: string) => parse(v) as Json);
  return values.flatMap((v: Json) => [v.tolerations, v.daemonsets?.tolerations].filter(Boolean));
}

describe.each([
  ['aws', Cloud.aws({ region: 'us-east-1' })],
  ['gcp', Cloud.gcp({ project: 'acme-ml', region: 'us-central1' })],
  ['azure', Cloud.azure({ location: 'eastus2' })],
] as const)('%s example platform', (_name, cloud) => {
  const platform = new Platform(new App({ stackTraces: false }), 'platform', { cloud });
  const json: Json = SynthQuery.fromStack(platform).json;
  const releases = Object.values(byId(json, 'helm_release')).filter((r: Json) => GPU_DAEMONSETS.includes(r.name));
  const taints = platform.cluster.gpuPools.flatMap((p) => p.taints.map((t) => ({ pool: p.name, ...t })));

  test('the GPU DaemonSets tolerate every GPU pool taint', () => {
    expect(releases.length).toBeGreaterThanOrEqual(1);
    expect(taints.length).toBeGreaterThanOrEqual(1);
    const missing = releases.flatMap((r: Json) => tolerationsOf(r).flatMap((list) => taints
      .filter((t) => !tolerates(list, t)).map((t) => `${r.name} on pool ${t.pool}: ${t.key}=${t.value}:${t.effect}`)));
    expect(missing).toEqual([]);
  });
});
