// scripts/verify-charts.sh (the chart lock against the registries) run on a local HTTP chart repository with real
// Helm (scripts/tools/helm.sh, cached in .tools/; AIINFRA_HELM_BINARY=<path> uses another) and a fixture chart signed
// by a throwaway gpg key: the lock of the published archive passes (digest match, signature verified); the same lock
// against a tampered archive (same name and version, other bytes, the original .prov) fails on both checks.
import { execFile, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { createHash } from 'crypto';

const ROOT = path.resolve(__dirname, '../..');

function helmBinary(): string {
  if (process.env.AIINFRA_HELM_BINARY) return process.env.AIINFRA_HELM_BINARY;
  const r = spawnSync('bash', [path.join(ROOT, 'scripts/tools/helm.sh')], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`scripts/tools/helm.sh failed (exit ${r.status}):\n${r.stderr.slice(-4000)}`);
  return r.stdout.trim().split('\n').pop()!;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}`);
  return r.stdout;
}

/** Runs the script (async: the HTTP server answers from this process). */
function verifyCharts(helm: string, lock: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('bash', [path.join(ROOT, 'scripts/verify-charts.sh'), lock], { cwd: ROOT, env: { ...process.env, HELM: helm } },
      (err, stdout, stderr) => resolve({ code: err ? (err.code as number) : 0, out: stdout + stderr }));
  });
}

describe('scripts/verify-charts.sh on a local chart repository', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'aiinfra-verify-charts-'));
  let server: http.Server;
  let base = '';
  let helm = '';

  beforeAll(async () => {
    helm = helmBinary();
    const gnupg = path.join(work, 'gnupg');
    fs.mkdirSync(gnupg, { mode: 0o700 });
    const gpgEnv = { GNUPGHOME: gnupg };
    run('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'Chart Fixture <fixture@example.com>', 'rsa2048', 'sign', 'never'], gpgEnv);
    fs.writeFileSync(path.join(work, 'secring.gpg'), spawnSync('gpg', ['--export-secret-keys'], { env: { ...process.env, ...gpgEnv } }).stdout);
    const armored = run('gpg', ['--armor', '--export'], gpgEnv);
    fs.writeFileSync(path.join(work, 'key.ts'), `export const FIXTURE_KEY = \`${armored}\`;\n`);

    const chart = path.join(work, 'demo');
    run(helm, ['create', chart]);
    for (const dir of ['good', 'tampered']) fs.mkdirSync(path.join(work, 'srv', dir), { recursive: true });
    run(helm, ['package', chart, '--sign', '--key', 'Chart Fixture', '--keyring', path.join(work, 'secring.gpg'), '-d', path.join(work, 'srv', 'good')]);
    // tampered: other bytes under the same name and version, beside the original provenance file
    fs.appendFileSync(path.join(chart, 'values.yaml'), 'injected: true\n');
    run(helm, ['package', chart, '-d', path.join(work, 'srv', 'tampered')]);
    fs.copyFileSync(path.join(work, 'srv', 'good', 'demo-0.1.0.tgz.prov'), path.join(work, 'srv', 'tampered', 'demo-0.1.0.tgz.prov'));

    server = http.createServer((req, res) => {
      const file = path.join(work, 'srv', path.normalize(decodeURIComponent(req.url ?? '/')));
      if (!file.startsWith(path.join(work, 'srv')) || !fs.existsSync(file) || !fs.statSync(file).isFile()) { res.writeHead(404); res.end(); return; }
      res.writeHead(200); res.end(fs.readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const dir of ['good', 'tampered']) run(helm, ['repo', 'index', path.join(work, 'srv', dir), '--url', `${base}/${dir}`]);
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** A lock of the fixture chart from `dir`, locked to the published (good) archive's digest. */
  function lock(dir: string, signed: boolean): string {
    const digest = createHash('sha256').update(fs.readFileSync(path.join(work, 'srv', 'good', 'demo-0.1.0.tgz'))).digest('hex');
    const file = path.join(work, `lock-${dir}-${signed}.json`);
    fs.writeFileSync(file, JSON.stringify({ charts: [{ repository: `${base}/${dir}`, chart: 'demo', version: '0.1.0', digest,
      provenance: signed ? { pgp: 'fixture', key: path.join(work, 'key.ts') } : 'unsigned' }] }));
    return file;
  }

  test('the published archive: digest match, signature verified, exit 0', async () => {
    const { code, out } = await verifyCharts(helm, lock('good', true));
    expect(out).toMatch(/^demo\s+0\.1\.0\s+match\s+verified$/m);
    expect(code).toBe(0);
  });

  test('a tampered archive fails the digest check (unsigned entry) and the signature check (signed entry), exit 1', async () => {
    const unsigned = await verifyCharts(helm, lock('tampered', false));
    expect(unsigned.out).toMatch(/^demo\s+0\.1\.0\s+MISMATCH: [0-9a-f]{12}\s+unsigned$/m);
    expect(unsigned.code).toBe(1);
    const signed = await verifyCharts(helm, lock('tampered', true));
    expect(signed.out).toMatch(/^demo\s+0\.1\.0\s+PULL FAILED\s+.*(sha256 sum does not match|verif)/im);
    expect(signed.code).toBe(1);
  });
});
