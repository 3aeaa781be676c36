/** The real-tool tier's own checks fail where they must: each assertion has a fixture that breaks it. */
import { spawnSync } from 'child_process';
import { checkTerraformConfig, referencesIn } from './terraform-refs';
import { engines, initErrors } from './terraform';

const base = {
  resource: {
    helm_release: { a: { name: 'a', chart: './a' }, b: { name: 'b', chart: './b' } },
    aws_s3_bucket: { logs: { bucket: 'logs' } },
  },
  data: { aws_iam_policy_document: { doc: { statement: [] } } },
  variable: { region: {} },
  locals: { prefix: 'p' },
  provider: { aws: [{ region: 'us-east-1' }, { alias: 'west', region: 'us-west-2' }] },
};

function withB(extra: Record<string, unknown>) {
  return { ...base, resource: { ...base.resource, helm_release: { ...base.resource.helm_release, b: { name: 'b', chart: './b', ...extra } } } };
}

describe('reference check', () => {
  test('finds traversals in templates, not in function names, keys, strings or bound symbols', () => {
    expect(referencesIn('${aws_s3_bucket.logs.arn}/x')).toEqual([['aws_s3_bucket', 'logs', 'arn']]);
    expect(referencesIn('${jsonencode({ key = var.region, "q" = "${local.prefix}-x" })}')).toEqual([['local', 'prefix'], ['var', 'region']]);
    expect(referencesIn('${[for s in data.aws_iam_policy_document.doc.statement : s.sid]}')).toEqual([['data', 'aws_iam_policy_document', 'doc', 'statement']]);
    expect(referencesIn('$${not.a_ref} %%{ x }')).toEqual([]);
    expect(referencesIn('${var.on ? aws_s3_bucket.logs.id : null}')).toEqual([['var', 'on'], ['aws_s3_bucket', 'logs', 'id']]);
  });

  test('a consistent configuration passes', () => {
    expect(checkTerraformConfig(withB({
      depends_on: ['helm_release.a', 'data.aws_iam_policy_document.doc'], provider: 'aws.west',
      values: ['${yamlencode({ b = aws_s3_bucket.logs.arn, r = var.region })}'],
      lifecycle: { ignore_changes: ['values', 'set[0].value'], replace_triggered_by: ['aws_s3_bucket.logs.id'] },
    }))).toEqual([]);
  });

  test('ephemeral resources are declared objects: a reference to one passes, to a missing one fails', () => {
    const config = {
      ...withB({ values: ['${ephemeral.aws_secretsmanager_random_password.gen.random_password}'] }),
      ephemeral: { aws_secretsmanager_random_password: { gen: { provider: 'aws.west', password_length: 40 } } },
    };
    expect(checkTerraformConfig(config)).toEqual([]);
    expect(checkTerraformConfig({ ...config, ephemeral: {} }).map((p) => p.message))
      .toEqual([expect.stringMatching(/^undeclared ephemeral resource ephemeral\.aws_secretsmanager_random_password\.gen /)]);
  });

  test('a reference into another stack passes only where the stack was rendered alone (Testing.synth)', () => {
    const config = withB({ chart: '${aws_eks_cluster.train.endpoint}' });
    expect(checkTerraformConfig(config).map((p) => p.message)).toEqual([expect.stringMatching(/undeclared resource aws_eks_cluster\.train/)]);
    expect(checkTerraformConfig(config, { otherStacks: ['aws_eks_cluster.train'] })).toEqual([]);
  });

  test.each([
    ['an interpolated depends_on entry', { depends_on: ['${helm_release.a}'] }, /bare address/],
    ['a depends_on entry naming nothing', { depends_on: ['helm_release.c'] }, /undeclared resource helm_release\.c/],
    ['a reference to an undeclared resource', { chart: '${aws_s3_bucket.missing.arn}' }, /undeclared resource aws_s3_bucket\.missing/],
    ['an unresolved cdktf token', { chart: '${TfToken[TOKEN.12]}' }, /undeclared resource TfToken/],
    ['an undeclared variable', { chart: '${var.zone}' }, /undeclared variable var\.zone/],
    ['an undeclared provider alias', { provider: 'aws.east' }, /undeclared provider configuration aws\.east/],
    ['an interpolated ignore_changes entry', { lifecycle: { ignore_changes: ['${values}'] } }, /not a bare attribute path/],
  ])('fails on %s', (_what, extra, message) => {
    const problems = checkTerraformConfig(withB(extra));
    expect(problems.map((p) => p.message).join('\n')).toMatch(message);
  });
});

describe.each(engines())('$name init harness', (engine) => {
  test('reports a configuration error with the engine\'s own message', async () => {
    const errors = await initErrors(engine, JSON.stringify(withB({ depends_on: ['${helm_release.a}'] })));
    expect(errors.join('\n')).toMatch(/Invalid expression[\s\S]*A single static variable reference is required/);
  });

  test('accepts a valid configuration whose providers cannot be downloaded', async () => {
    expect(await initErrors(engine, JSON.stringify({ ...base, terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: '6.0.0' } } } }))).toEqual([]);
  });
});

test('every check runs under Terraform and OpenTofu 1.12 (the engine list)', () => {
  expect(engines().map((e) => e.name)).toEqual(['terraform', 'tofu']);
  const tofu = engines()[1];
  expect(spawnSync(tofu.binary, ['version'], { encoding: 'utf8', env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null' } }).stdout).toMatch(/^OpenTofu v1\.12\.\d+$/m);
});
