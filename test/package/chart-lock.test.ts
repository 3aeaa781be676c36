// Supply chain of the upstream charts: every chart the examples install is in src/k8s/charts.lock.json at the same
// version (digest and URL from the publisher's index.yaml, provenance), and the releases of signed charts verify
// them against the publisher's key (a binary keyring asset the stack ships).
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, TerraformStack, Testing } from 'cdktf';
import { buildPlatformApp } from '../../examples/platform/platform';
import { QuickstartPlatform } from '../../examples/quickstart/main';
import { buildTwoStackApp } from '../../examples/two-stack/stacks';
import { CHART_LOCK, ChartLockEntry, dearmor, PUBLISHER_KEYS } from '../../src/k8s/chart-lock';

/** The modules that hold the pinned chart constants (a test below fails on a pin anywhere else in src/). */
const PIN_MODULES = ['k8s/charts', 'monitoring/scrape', 'inference/addons', 'inference/progressive-delivery', 'clouds/aws/inference', 'clouds/azure/inference'];
const SRC = path.join(__dirname, '..', '..', 'src');

interface Pin { repository: string; chart: string; version: string }
interface SynthRelease extends Pin { stack: string; address: string; verify?: boolean; keyring?: string }

const key = (p: Pin): string => `${p.repository} ${p.chart}`;

/** Why each pin fails the lock: not locked at this version (with how to fix it). */
function unlockedPins(pins: readonly Pin[], lock: readonly ChartLockEntry[]): string[] {
  return pins.filter((p) => !lock.some((e) => key(e) === key(p) && e.version === p.version)).map((p) => {
    const locked = lock.find((e) => key(e) === key(p));
    return `${p.chart} ${p.version} (${p.repository}) is not in src/k8s/charts.lock.json`
      + (locked ? ` (locked: ${locked.version})` : '')
      + ': copy the new version\'s digest and url from the publisher\'s index.yaml (record the commit in `index`),'
      + ' re-check provenance (does the publisher sign this version?), then run scripts/verify-charts.sh';
  });
}

/** The `helm_release`s of upstream charts (a repository set) in the synthesized stacks. */
function upstreamReleases(stacks: readonly TerraformStack[]): SynthRelease[] {
  return stacks.flatMap((stack) => {
    const json = JSON.parse(Testing.synth(stack)) as { resource?: { helm_release?: Record<string, SynthRelease> } };
    return Object.entries(json.resource?.helm_release ?? {}).filter(([, r]) => r.repository !== undefined)
      .map(([name, r]) => ({ ...r, stack: stack.node.id, address: `helm_release.${name}` }));
  });
}

/** Every exported pin (an object with repository, chart and version) of the pin modules. */
function sourcePins(): (Pin & { constant: string })[] {
  return PIN_MODULES.flatMap((m) => Object.entries(require(path.join(SRC, m)) as Record<string, unknown>)
    .filter((e): e is [string, Pin] => typeof e[1] === 'object' && e[1] !== null && ['repository', 'chart', 'version'].every((k) => typeof (e[1] as Record<string, unknown>)[k] === 'string'))
    .map(([constant, p]) => ({ constant: `${m}.${constant}`, repository: p.repository, chart: p.chart, version: p.version })));
}

/** Files under src/ that write a chart repository literal. */
function filesWithRepositoryLiterals(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return filesWithRepositoryLiterals(p);
    return d.name.endsWith('.ts') && /repository: '(https|oci):\/\//.test(fs.readFileSync(p, 'utf8')) ? [path.relative(SRC, p).replace(/\.ts$/, '')] : [];
  });
}

/** v4 OpenPGP fingerprint of the first packet of a binary key (must be a public-key packet, RFC 4880 5.5.2, 12.2). */
function v4Fingerprint(keyring: Buffer): string {
  const tagByte = keyring[0];
  expect(tagByte & 0x80).toBe(0x80);
  let tag: number; let len: number; let at: number;
  if (tagByte & 0x40) { // new format
    tag = tagByte & 0x3f;
    const o = keyring[1];
    if (o < 192) { len = o; at = 2; } else if (o < 224) { len = ((o - 192) << 8) + keyring[2] + 192; at = 3; } else { len = keyring.readUInt32BE(2); at = 6; }
  } else { // old format
    tag = (tagByte >> 2) & 0x0f;
    const lt = tagByte & 0x03;
    if (lt === 0) { len = keyring[1]; at = 2; } else if (lt === 1) { len = keyring.readUInt16BE(1); at = 3; } else { len = keyring.readUInt32BE(1); at = 5; }
  }
  expect(tag).toBe(6); // public key
  const body = keyring.subarray(at, at + len);
  expect(body[0]).toBe(4); // key version 4
  const prefix = Buffer.from([0x99, (len >> 8) & 0xff, len & 0xff]);
  return createHash('sha1').update(prefix).update(body).digest('hex').toUpperCase();
}

describe('chart lock (src/k8s/charts.lock.json)', () => {
  const platform = buildPlatformApp(Testing.app());
  const twoStack = buildTwoStackApp(Testing.app());
  const quickstart = new QuickstartPlatform(Testing.app(), 'platform-gcp');
  const releases = upstreamReleases([...platform, twoStack.infra, twoStack.workloads, quickstart]);

  const pins = sourcePins();

  test('every upstream chart the examples install is locked at the same version', () => {
    expect(releases.length).toBeGreaterThan(20);
    expect(unlockedPins(releases, CHART_LOCK)).toEqual([]);
  });

  test('every pinned chart constant of src/ is locked at the same version (those no example installs too)', () => {
    expect(filesWithRepositoryLiterals(SRC).sort()).toEqual([...PIN_MODULES].sort());
    expect(pins.length).toBe(19);
    expect(unlockedPins(pins, CHART_LOCK)).toEqual([]);
  });

  test('a bumped pin that the lock does not have is caught, with how to update the lock (fixture)', () => {
    const bumped = { repository: 'https://argoproj.github.io/argo-helm', chart: 'argo-workflows', version: '1.0.19' };
    const problems = unlockedPins([bumped], CHART_LOCK);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/argo-workflows 1\.0\.19 .* is not in src\/k8s\/charts\.lock\.json \(locked: 1\.0\.18\): copy .*index\.yaml/);
  });

  test('every lock entry is a pin of src/, once per chart; the examples install all but two', () => {
    const used = (from: readonly Pin[]) => new Set(from.map((r) => `${key(r)} ${r.version}`));
    expect(CHART_LOCK.filter((e) => !used(pins).has(`${key(e)} ${e.version}`)).map((e) => e.chart)).toEqual([]);
    expect(new Set(CHART_LOCK.map(key)).size).toBe(CHART_LOCK.length);
    // the GPU operator (gpuSoftware 'gpu-operator') and kube-state-metrics (AWS managed Prometheus) are in no example
    expect(CHART_LOCK.filter((e) => !used(releases).has(`${key(e)} ${e.version}`)).map((e) => e.chart)).toEqual(['gpu-operator', 'kube-state-metrics']);
  });

  test('digests are sha256 hex from a recorded index commit, or null with the reason', () => {
    for (const e of CHART_LOCK) {
      if (e.digest === null) {
        expect({ chart: e.chart, note: e.digestNote, url: e.url, index: e.index }).toEqual({ chart: e.chart, note: expect.stringMatching(/\S{10}/), url: null, index: null });
      } else {
        expect({ chart: e.chart, digest: e.digest }).toEqual({ chart: e.chart, digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
        expect(e.index).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}:\S*index\.yaml$/);
        expect(e.url).toMatch(new RegExp(`^https://\\S+/${e.chart}-${e.version}\\.tgz$`));
        expect(e.repository).toMatch(/^https:\/\//);
      }
      expect(e.evidence.length).toBeGreaterThan(10);
    }
    // OCI charts have no index to read offline
    expect(CHART_LOCK.filter((e) => e.repository.startsWith('oci://')).every((e) => e.digest === null)).toBe(true);
  });

  test('provenance: only the argo-helm charts are signed, by the argoproj key', () => {
    const signed = CHART_LOCK.filter((e) => typeof e.provenance !== 'string');
    expect(signed.map((e) => `${e.chart} ${e.version}`)).toEqual(['argo-workflows 1.0.18', 'argo-events 2.4.22']);
    for (const e of signed) expect(e.provenance).toEqual({ pgp: '2B8F22F57260EFA67BE1C5824B11F800CD9D2252', key: 'src/k8s/keys/argoproj.ts' });
  });

  test('the argoproj key is the published one, verbatim, and its binary form has the locked fingerprint', () => {
    const armored = PUBLISHER_KEYS['src/k8s/keys/argoproj.ts'];
    // sha256 of https://argoproj.github.io/argo-helm/pgp_keys.asc (argoproj/argo-helm gh-pages c77d0b1727b5)
    expect(createHash('sha256').update(armored).digest('hex')).toBe('36366596211a1587d018be5b178687799cb2edfc3e3e3c6ccd661b33fc6305ca');
    expect(v4Fingerprint(dearmor(armored))).toBe('2B8F22F57260EFA67BE1C5824B11F800CD9D2252');
  });

  test('releases of signed charts verify against the keyring asset; releases of unsigned charts never set verify', () => {
    const argo = releases.filter((r) => r.repository === 'https://argoproj.github.io/argo-helm');
    expect(new Set(argo.map((r) => r.chart))).toEqual(new Set(['argo-workflows', 'argo-events']));
    for (const r of releases) {
      const entry = CHART_LOCK.find((e) => key(e) === key(r) && e.version === r.version)!;
      const signed = typeof entry.provenance !== 'string';
      expect({ at: `${r.stack} ${r.address}`, verify: r.verify, keyring: r.keyring }).toEqual(signed
        ? { at: `${r.stack} ${r.address}`, verify: true, keyring: expect.stringMatching(/^\.\/assets\/HelmKeyring-4B11F800CD9D2252\/[0-9a-f]{32}\/pubring\.gpg$/) }
        : { at: `${r.stack} ${r.address}`, verify: undefined, keyring: undefined });
    }
  });

  test('synth writes the keyring where the release points, as the binary key of the locked fingerprint', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiinfra-chart-lock-'));
    try {
      const app = new App({ outdir, skipValidation: true, stackTraces: false });
      const [aws] = buildPlatformApp(app);
      app.synth();
      const stackDir = path.join(outdir, 'stacks', aws.node.id);
      const json = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
      const signed = Object.values(json.resource.helm_release as Record<string, { verify?: boolean; keyring?: string }>).filter((r) => r.verify);
      expect(signed.length).toBeGreaterThanOrEqual(2);
      for (const r of signed) {
        const keyring = fs.readFileSync(path.join(stackDir, r.keyring!));
        expect(v4Fingerprint(keyring)).toBe('2B8F22F57260EFA67BE1C5824B11F800CD9D2252');
      }
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
