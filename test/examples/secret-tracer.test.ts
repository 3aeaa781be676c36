// Issue 21 item 3: no secret value routed through Terraform. The tracer (test/secret-tracer.ts) reads every
// example stack's synthesized JSON and chart files; the fixtures below prove it finds each kind of leak.
// The README's security section quotes this test's count: `npx jest test/examples/secret-tracer`.
import { App, TerraformStack } from 'cdktf';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildPlatformApp } from '../../examples/platform/platform';
import { QuickstartPlatform } from '../../examples/quickstart/main';
import { buildTwoStackApp } from '../../examples/two-stack/stacks';
import { readTree } from '../read-tree';
import { SecretFinding, traceChartFile, traceStackFiles, traceTerraform } from '../secret-tracer';

/** Synthesizes an app into a temporary directory; returns each stack's files (stack-relative paths). */
function synthStacks(build: (app: App) => void): Map<string, Map<string, string>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiinfra-secrets-'));
  try {
    const app = new App({ outdir: dir, skipValidation: true, stackTraces: false });
    build(app);
    app.synth();
    const stacks = new Map<string, Map<string, string>>();
    for (const [file, content] of readTree(dir)) {
      const m = /^stacks\/([^/]+)\/(.*)$/.exec(file);
      if (!m) continue;
      if (!stacks.has(m[1])) stacks.set(m[1], new Map());
      stacks.get(m[1])!.set(m[2], content);
    }
    return stacks;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const EXAMPLES: Record<string, (app: App) => void> = {
  platform: (app) => { buildPlatformApp(app); },
  'two-stack': (app) => { buildTwoStackApp(app); },
  quickstart: (app) => { new QuickstartPlatform(app, 'platform-gcp'); },
};

describe('secret tracer on every example stack', () => {
  const perStack: [string, Map<string, string>][] = [];
  for (const [example, build] of Object.entries(EXAMPLES)) {
    for (const [stack, files] of synthStacks(build)) perStack.push([`${example}/${stack}`, files]);
  }

  // Image push credentials included: the bundled images are pushed with the deploying machine's registry
  // credentials (docker credential helpers, ACR token from the environment), never a token read by Terraform.
  test.each(perStack.map(([name, files]) => [name, files] as const))('%s: 0 secret values in its JSON and chart files', (_name, files) => {
    expect(files.has('cdk.tf.json')).toBe(true);
    const findings: SecretFinding[] = traceStackFiles(files);
    expect(findings).toEqual([]);
  });

  test('the examples synthesize the stacks the tracer reads', () => {
    expect(perStack.map(([n]) => n).sort()).toEqual([
      'platform/platform-aws', 'platform/platform-azure', 'platform/platform-gcp',
      'quickstart/platform-gcp', 'two-stack/infra-aws', 'two-stack/workloads-aws',
    ]);
    // Helm values and chart templates are read too (not only cdk.tf.json).
    for (const [, files] of perStack.filter(([n]) => n.startsWith('platform/'))) {
      expect([...files.keys()].filter((f) => f.endsWith('.yaml')).length).toBeGreaterThan(10);
    }
  });
});

describe('secret tracer fixtures (each kind of leak is found)', () => {
  test('a data source read of a secret, and its use in Helm values', () => {
    const app = new App({ skipValidation: true });
    const stack = new TerraformStack(app, 'leaky');
    stack.addOverride('data.aws_secretsmanager_secret_version.pd', { secret_id: 'oncall/pagerduty' });
    stack.addOverride('resource.helm_release.kps', { name: 'kps', values: ['grafana:\n  adminPassword: ${data.aws_secretsmanager_secret_version.pd.secret_string}\n'] });
    const config = JSON.parse(JSON.stringify((stack as unknown as { toTerraform(): unknown }).toTerraform()));
    const found = traceTerraform(config).map((f) => f.what);
    expect(found).toEqual([
      'data source aws_secretsmanager_secret_version stores secret_string/secret_binary in state',
      'references data.aws_secretsmanager_secret_version.pd.secret_string',
    ]);
  });

  test('a generated password in state, a secret argument, a literal password; write-only and ephemeral are clean', () => {
    const config = {
      ephemeral: { aws_secretsmanager_random_password: { gen: { password_length: 40 } } },
      resource: {
        random_password: { admin: { length: 32 } },
        google_secret_manager_secret_version: {
          stored: { secret: 's', secret_data: '${random_password.admin.result}' },
          clean: { secret: 's', secret_data_wo: '${replace(uuid(), "-", "")}', secret_data_wo_version: 1 },
        },
        aws_secretsmanager_secret_version: { clean: { secret_id: 'x', secret_string_wo: '${ephemeral.aws_secretsmanager_random_password.gen.random_password}' } },
        docker_registry_image: { i: { name: 'x' } },
      },
      provider: { docker: [{ registry_auth: [{ address: 'r', username: 'u', password: 'hunter2' }] }] },
    };
    expect(traceTerraform(config).map((f) => `${f.at}: ${f.what}`)).toEqual([
      'cdk.tf.json:resource.random_password.admin: random_password keeps its generated secret in state',
      'cdk.tf.json:resource.google_secret_manager_secret_version.stored.secret_data: google_secret_manager_secret_version.secret_data is set: stored in state (use the write-only secret_data_wo)',
      'cdk.tf.json.resource.google_secret_manager_secret_version.stored.secret_data: references random_password.admin.result',
      'cdk.tf.json.provider.docker[0].registry_auth[0].password: literal credential under "password"',
    ]);
  });

  test('image push credentials read by Terraform are secrets in state, wherever they are used', () => {
    // The data source's attributes are in state even though cdk.tf.json only declares it.
    const config = {
      data: {
        aws_ecr_authorization_token: { auth: {} },
        google_client_config: { client: {} },
        azurerm_container_registry: { acr: { name: 'r', resource_group_name: 'g' } },
      },
      provider: { docker: [{ registry_auth: [{ address: 'h', username: 'oauth2accesstoken', password: '${data.google_client_config.client.access_token}' }] }] },
      resource: {
        azurerm_container_registry: { admin: { name: 'a', admin_enabled: true }, clean: { name: 'c', admin_enabled: false } },
        azurerm_container_registry_token_password: { p: { container_registry_token_id: 't', password1: {} } },
        docker_registry_image: { push: { name: 'i', auth_config: { address: 'r', username: 'AWS', password: '${data.aws_ecr_authorization_token.auth.password}' } } },
      },
    };
    expect(traceTerraform(config).map((f) => f.at)).toEqual([
      'cdk.tf.json:data.aws_ecr_authorization_token.auth',
      'cdk.tf.json:data.google_client_config.client',
      'cdk.tf.json:data.azurerm_container_registry.acr',
      'cdk.tf.json:resource.azurerm_container_registry.admin.admin_enabled',
      'cdk.tf.json:resource.azurerm_container_registry_token_password.p',
      'cdk.tf.json.provider.docker[0].registry_auth[0].password',
      'cdk.tf.json.resource.docker_registry_image.push.auth_config.password',
    ]);
    // The deploying machine's credentials: a docker config file (credential helpers) or the environment.
    expect(traceTerraform({
      provider: { docker: [{ registry_auth: [{ address: 'h', config_file: '~/.docker/config.json' }, { address: 'a.azurecr.io', username: '00000000-0000-0000-0000-000000000000' }] }] },
      resource: { docker_registry_image: { push: { name: 'h/i:1' } } },
    })).toEqual([]);
  });

  test('a Kubernetes Secret with data in a chart template, and a password in chart values', () => {
    const template = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: grafana-admin\nstringData:\n  admin-password: s3cret\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\ndata:\n  a: b\n';
    expect(traceChartFile(template, 'assets/base/templates/secret.yaml').map((f) => f.what)).toEqual([
      'Kubernetes Secret with data (admin-password) in a chart',
      'literal credential under "admin-password"',
    ]);
    expect(traceChartFile('grafana:\n  adminPassword: s3cret\n', 'values.yaml').map((f) => f.what)).toEqual(['literal credential under "adminPassword"']);
    // A SecretProviderClass names secrets; it carries no value.
    expect(traceChartFile('apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\nmetadata:\n  name: x\nspec:\n  provider: aws\n', 't.yaml')).toEqual([]);
  });
});
