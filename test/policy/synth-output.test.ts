// The synthesized output of the example platform (every file under the outdir: stacks, assets, GitOps charts,
// manifest) carries no secret values and no absolute paths of the build machine.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdktf';
import { buildPlatformApp } from '../../examples/platform/platform';

/** Patterns of credentials that must never be in Terraform JSON or manifests. */
const SECRET_PATTERNS: [string, RegExp][] = [
  ['AWS access key id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['GCP service account key', /"private_key(_id)?"\s*:\s*"[^"$]/],
  ['Azure storage key', /AccountKey=[A-Za-z0-9+/=]{20,}/],
  ['Azure SAS signature', /[?&]sig=[A-Za-z0-9%+/=]{20,}/],
  ['GitHub token', /\bgh[pousr]_[A-Za-z0-9]{30,}\b/],
  ['bearer token', /Bearer [A-Za-z0-9._~+/-]{20,}/],
];

/** Attribute names whose literal value would be a secret (a reference `${...}` or an empty value is fine). */
const SECRET_KEYS = /^(password|admin_password|client_secret|secret_data|secret_string|secret_key|access_key|api_key|api_keys|token|private_key|connection_string|primary_access_key|sas_token|AIINFRA_API_KEYS)$/i;

/** Keys of Kubernetes Secret data that hold credentials. */
const SECRET_DATA_KEYS = /(password|passwd|secret|token|key|credential)/i;

const isPlaceholder = (v: unknown) => typeof v === 'string' && (v.includes('{{') || v.includes('${'));

function literalSecrets(value: unknown, where: string, out: string[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => literalSecrets(v, `${where}[${i}]`, out));
  } else if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    // Kubernetes env entries: { name: SECRET_NAME, value: "literal" }.
    if (typeof obj.name === 'string' && SECRET_KEYS.test(obj.name) && typeof obj.value === 'string' && obj.value && !isPlaceholder(obj.value)) {
      out.push(`${where}.${obj.name}`);
    }
    for (const [k, v] of Object.entries(obj)) {
      if (SECRET_KEYS.test(k) && typeof v === 'string' && v.length > 0 && !isPlaceholder(v)) out.push(`${where}.${k}`);
      literalSecrets(v, `${where}.${k}`, out);
    }
  }
}

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? files(full) : [full];
  });
}

describe('synthesized output of the example platform', () => {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiinfra-secrets-'));
  const outdir = path.join(workdir, 'cdktf.out');
  let all: string[] = [];

  beforeAll(() => {
    const app = new App({ outdir, skipValidation: true });
    buildPlatformApp(app);
    app.synth();
    all = files(outdir);
  });
  afterAll(() => fs.rmSync(workdir, { recursive: true, force: true }));

  test('writes the three stacks', () => {
    expect(all.filter((f) => f.endsWith('cdk.tf.json')).map((f) => path.relative(outdir, f)).sort())
      .toEqual(['stacks/platform-aws/cdk.tf.json', 'stacks/platform-azure/cdk.tf.json', 'stacks/platform-gcp/cdk.tf.json']);
  });

  test('no absolute path of the build machine in any file Terraform or GitOps reads (stacks, assets, charts)', () => {
    const machine = [workdir, process.cwd(), os.homedir(), path.resolve(__dirname, '../..')];
    const hits = all.filter((f) => path.relative(outdir, f) !== 'manifest.json').flatMap((f) => {
      const text = fs.readFileSync(f, 'utf8');
      return machine.filter((p) => text.includes(p)).map((p) => `${path.relative(outdir, f)} contains ${p}`);
    });
    expect(hits).toEqual([]);
  });

  test('manifest.json carries no machine paths once annotation stack traces are off', () => {
    // cdktf records a stack trace (absolute source paths) with every annotation in manifest.json unless the app
    // sets this context; an app that synthesizes into a shared or published directory should set it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiinfra-manifest-'));
    try {
      const app = new App({ outdir: dir, skipValidation: true, context: { '@cdktf/disable_stack_trace_in_metadata': true } });
      buildPlatformApp(app);
      app.synth();
      const manifest = fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8');
      expect([dir, process.cwd(), os.homedir()].filter((p) => manifest.includes(p))).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('no credential patterns in any file', () => {
    const hits = all.flatMap((f) => {
      const text = fs.readFileSync(f, 'utf8');
      return SECRET_PATTERNS.filter(([, re]) => re.test(text)).map(([what]) => `${path.relative(outdir, f)}: ${what}`);
    });
    expect(hits).toEqual([]);
  });

  test('no literal secret values in Terraform attributes or manifests', () => {
    const hits: string[] = [];
    for (const f of all.filter((x) => x.endsWith('.json'))) literalSecrets(JSON.parse(fs.readFileSync(f, 'utf8')), path.relative(outdir, f), hits);
    const { parseAllDocuments } = require('yaml') as typeof import('yaml');
    for (const f of all.filter((x) => /templates\/.*\.yaml$/.test(x))) {
      // Values Terraform fills at apply time stay recognizable as placeholders.
      const text = fs.readFileSync(f, 'utf8').replace(/\{\{[^}]*\}\}/g, '"{{placeholder}}"');
      for (const doc of parseAllDocuments(text)) {
        const obj = doc.toJS() as Record<string, unknown> | null;
        if (obj?.kind === 'Secret') {
          const entries = Object.entries({ ...(obj.data as object ?? {}), ...(obj.stringData as object ?? {}) });
          for (const [k, v] of entries) {
            if (SECRET_DATA_KEYS.test(k) && !isPlaceholder(v)) hits.push(`${path.relative(outdir, f)}: Secret ${k} has a literal value`);
          }
        }
        literalSecrets(obj, path.relative(outdir, f), hits);
      }
    }
    expect(hits).toEqual([]);
  });

  test('the detectors catch what they are for', () => {
    const hits: string[] = [];
    literalSecrets({ resource: { x: { admin_password: 'hunter2-hunter2' } }, env: [{ name: 'AIINFRA_API_KEYS', value: 'k1,k2' }] }, 'fixture', hits);
    expect(hits).toEqual(['fixture.resource.x.admin_password', 'fixture.env[0].AIINFRA_API_KEYS']);
    const clean: string[] = [];
    literalSecrets({ password: '${random_password.p.result}', env: [{ name: 'AIINFRA_API_KEYS_FILE', value: '/etc/keys' }] }, 'fixture', clean);
    expect(clean).toEqual([]);
    expect(SECRET_PATTERNS.find(([w]) => w === 'AWS access key id')![1].test('"AKIAIOSFODNN7EXAMPLE"')).toBe(true);
  });
});
