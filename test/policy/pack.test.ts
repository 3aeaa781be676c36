import * as fs from 'fs';
import * as path from 'path';
import { App, Aspects, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import {
  AiInfraPolicyPack, ALL_RULES, CHECKOV_EXEMPTIONS, InvalidPropError, KUBERNETES_SUPPRESSION_PREFIX, Policy, PolicyPack, kubernetesRule, terraformRule,
} from '../../src';
import { deployment, k8s, newStack, pdb, raw, ref } from './helpers';

const ERROR = '@cdktf/error';
const WARN = '@cdktf/warn';

function annotations(stack: TerraformStack, type: string): string[] {
  return stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === type).map((m) => String(m.data)));
}

/** What cdk.tf.json will hold (toTerraform keeps the "//" blocks Testing.synth strips). */
function synthesized(stack: TerraformStack): Record<string, Record<string, Record<string, Record<string, unknown>>>> {
  Testing.synth(stack);
  return stack.toTerraform();
}

describe('the built-in rules', () => {
  test('at least 60 rules, each with a unique id, a severity and what, why and how to fix', () => {
    expect(ALL_RULES.length).toBeGreaterThanOrEqual(60);
    const ids = ALL_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of ALL_RULES) {
      expect(rule.id).toMatch(/^AI-(AWS|GCP|AZ|K8S)-[A-Z0-9]+-\d+$/);
      expect(['error', 'warning']).toContain(rule.severity);
      for (const text of [rule.title, rule.rationale, rule.remediation]) expect(text.length).toBeGreaterThan(15);
      for (const id of rule.checkov ?? []) expect(id).toMatch(/^CKV2?_[A-Z0-9]+_\d+$/);
    }
  });

  test('rules cover all three clouds and Kubernetes', () => {
    const count = (prefix: string) => ALL_RULES.filter((r) => r.id.startsWith(prefix)).length;
    expect(count('AI-AWS-')).toBeGreaterThanOrEqual(15);
    expect(count('AI-GCP-')).toBeGreaterThanOrEqual(15);
    expect(count('AI-AZ-')).toBeGreaterThanOrEqual(15);
    expect(count('AI-K8S-')).toBeGreaterThanOrEqual(15);
  });

  test('every rule has a failing and a passing fixture in the rule tests', () => {
    const text = fs.readdirSync(__dirname).filter((f) => /^rules-.*\.test\.ts$/.test(f))
      .map((f) => fs.readFileSync(path.join(__dirname, f), 'utf8')).join('\n');
    const missing = ALL_RULES.filter((r) => !text.includes(`'${r.id}': {`)).map((r) => r.id);
    expect(missing).toEqual([]);
  });

  test('the README lists every rule and every checkov exemption', () => {
    const readme = fs.readFileSync(path.join(__dirname, '../../src/policy/README.md'), 'utf8');
    expect(ALL_RULES.filter((r) => !readme.includes(`| ${r.id} | ${r.severity} |`)).map((r) => r.id)).toEqual([]);
    expect(CHECKOV_EXEMPTIONS.filter((e) => !readme.includes(`| ${e.checks.join(', ')} |`)).map((e) => e.checks.join(','))).toEqual([]);
  });

  test('every rule lives in its own file under src/policy/rules', () => {
    const dir = path.join(__dirname, '../../src/policy/rules');
    const files = ['aws', 'gcp', 'azure', 'k8s'].flatMap((d) => fs.readdirSync(path.join(dir, d)));
    expect(files.length).toBe(ALL_RULES.length);
  });
});

describe('PolicyPack as an Aspect', () => {
  test('an error finding is an error annotation and fails synth', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'p');
    raw(stack, 'aws_kms_key', 'key', { description: 'no rotation' });
    Aspects.of(stack).add(new AiInfraPolicyPack());
    expect(() => Testing.fullSynth(stack)).toThrow(/\[AI-AWS-KMS-1\] KMS key rotation enabled: enable_key_rotation is not true/);
  });

  test('findings land on the offending construct; warnings do not fail synth', () => {
    const stack = newStack();
    const key = raw(stack, 'aws_kms_key', 'key', { enable_key_rotation: true, deletion_window_in_days: 7 });
    Aspects.of(stack).add(new AiInfraPolicyPack());
    Testing.synth(stack);
    const warnings = key.node.metadata.filter((m) => m.type === WARN).map((m) => String(m.data));
    expect(warnings).toEqual([expect.stringMatching(/^\[AI-AWS-KMS-2\] .*deletion_window_in_days = 7 \(aws_kms_key\.key\)\. Fix: /)]);
    expect(annotations(stack, ERROR)).toEqual([]);
    expect(() => Testing.fullSynth(stack)).not.toThrow();
  });

  test('annotations are added once even when synth runs twice', () => {
    const stack = newStack();
    raw(stack, 'aws_kms_key', 'key', {});
    Aspects.of(stack).add(new AiInfraPolicyPack());
    Testing.synth(stack);
    Testing.synth(stack);
    expect(annotations(stack, ERROR)).toHaveLength(1);
  });

  test('PolicyPack.check uses the packs applied to the stack, or the built-in pack when none is', () => {
    const stack = newStack();
    raw(stack, 'aws_kms_key', 'key', {});
    expect(PolicyPack.check(stack).map((f) => f.ruleId)).toEqual(['AI-AWS-KMS-1']);
    Aspects.of(stack).add(new AiInfraPolicyPack({ exclude: ['AI-AWS-KMS-1'] }));
    expect(PolicyPack.check(stack)).toEqual([]);
  });

  test('severities can be changed and rules excluded', () => {
    const stack = newStack();
    raw(stack, 'aws_kms_key', 'key', {});
    const [finding] = new AiInfraPolicyPack({ severities: { 'AI-AWS-KMS-1': 'warning' } }).evaluate(stack);
    expect(finding).toMatchObject({ ruleId: 'AI-AWS-KMS-1', severity: 'warning', constructPath: 'test/key', subject: 'aws_kms_key.key' });
    expect(PolicyPack.errors(stack, new AiInfraPolicyPack({ severities: { 'AI-AWS-KMS-1': 'warning' } }))).toEqual([]);
  });

  test('check of a construct inside a stack reports only what is under it', () => {
    const stack = newStack();
    const team = new Construct(stack, 'team');
    raw(team, 'aws_kms_key', 'inside', {});
    raw(stack, 'aws_kms_key', 'outside', {});
    raw(new Construct(stack, 'team2'), 'aws_kms_key', 'sibling', {});
    expect(new AiInfraPolicyPack().evaluate(team).map((f) => f.constructPath)).toEqual(['test/team/inside']);
  });

  test('an app-wide check covers every stack', () => {
    const app = Testing.app();
    raw(new TerraformStack(app, 'a'), 'aws_kms_key', 'k', {});
    raw(new TerraformStack(app, 'b'), 'aws_kms_key', 'k', {});
    expect(PolicyPack.check(app).map((f) => f.constructPath).sort()).toEqual(['a/k', 'b/k']);
  });
});

describe('attributes as synthesized', () => {
  test('typed provider classes, references and overrides are seen as in cdk.tf.json', () => {
    const stack = newStack();
    new AwsProvider(stack, 'aws', { region: 'us-east-1' });
    const bucket = new S3Bucket(stack, 'models', { bucket: 'acme-models' });
    new S3BucketVersioningA(stack, 'versioning', { bucket: bucket.id, versioningConfiguration: { status: 'Suspended' } });
    const key = new KmsKey(stack, 'key', { enableKeyRotation: false });
    expect(new AiInfraPolicyPack().evaluate(stack).map((f) => f.ruleId)).toEqual(expect.arrayContaining(['AI-AWS-S3-3', 'AI-AWS-KMS-1']));
    key.addOverride('enable_key_rotation', true);
    const versioning = stack.node.findChild('versioning') as S3BucketVersioningA;
    versioning.addOverride('versioning_configuration.status', 'Enabled');
    const ids = new AiInfraPolicyPack().evaluate(stack).map((f) => f.ruleId);
    expect(ids).not.toContain('AI-AWS-KMS-1');
    expect(ids).not.toContain('AI-AWS-S3-3');
  });

  test('a value Terraform computes (a variable) is trusted, a literal false is not', () => {
    const stack = newStack();
    const rotate = new TerraformVariable(stack, 'rotate', { type: 'bool' });
    new KmsKey(stack, 'computed', { enableKeyRotation: rotate.booleanValue });
    new KmsKey(stack, 'literal', { enableKeyRotation: false });
    expect(new AiInfraPolicyPack().evaluate(stack).filter((f) => f.ruleId === 'AI-AWS-KMS-1').map((f) => f.constructPath)).toEqual(['test/literal']);
  });
});

describe('suppressions', () => {
  test('a suppression on a parent construct covers its children and is recorded in cdk.tf.json', () => {
    const stack = newStack();
    const store = new Construct(stack, 'store');
    const bucket = raw(store, 'aws_s3_bucket', 'logs', { bucket: 'acme-logs' });
    Policy.suppress(store, 'AI-AWS-S3-6', 'Access logs expire through the destination account lifecycle policy');
    Aspects.of(stack).add(new AiInfraPolicyPack());
    const suppressed = PolicyPack.check(stack).filter((f) => f.ruleId === 'AI-AWS-S3-6');
    expect(suppressed).toEqual([expect.objectContaining({ suppressedReason: 'Access logs expire through the destination account lifecycle policy' })]);
    const json = synthesized(stack);
    const meta = Object.values(json.resource.aws_s3_bucket)[0]['//'] as Record<string, unknown>;
    expect(meta.policy_suppressions).toEqual({ 'AI-AWS-S3-6': 'Access logs expire through the destination account lifecycle policy' });
    // The equivalent checkov check is skipped with the same reason.
    expect((meta.checkov as { skip: unknown[] }).skip).toContainEqual({ id: 'CKV2_AWS_61', comment: 'AI-AWS-S3-6 suppressed: Access logs expire through the destination account lifecycle policy' });
    expect((json['//'] as unknown as Record<string, unknown>).policy).toEqual({
      packs: ['cdktf-ai-infra'],
      suppressions: [{ rule: 'AI-AWS-S3-6', path: 'test/store', reason: 'Access logs expire through the destination account lifecycle policy' }],
    });
    expect(annotations(stack, WARN).filter((w) => w.includes('AI-AWS-S3-6'))).toEqual([]);
    expect(bucket.node.path).toBe('test/store/logs');
  });

  test('an acknowledged finding stays visible as a warning, does not fail synth, and is recorded', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'p');
    const key = raw(stack, 'google_kms_crypto_key', 'key', { name: 'k', key_ring: 'r', rotation_period: '7776000s' });
    Policy.acknowledge(key, 'AI-GCP-KMS-2', 'prevent_destroy pending in the monitoring construct');
    Aspects.of(stack).add(new AiInfraPolicyPack());
    expect(PolicyPack.check(stack)).toEqual([expect.objectContaining({ ruleId: 'AI-GCP-KMS-2', severity: 'error', acknowledged: 'prevent_destroy pending in the monitoring construct' })]);
    expect(PolicyPack.errors(stack)).toEqual([]);
    expect(() => Testing.fullSynth(stack)).not.toThrow();
    expect(key.node.metadata.filter((m) => m.type === WARN).map((m) => String(m.data))).toEqual([
      expect.stringContaining('[AI-GCP-KMS-2] Cloud KMS key protected from deletion (lifecycle prevent_destroy): lifecycle.prevent_destroy is not true (google_kms_crypto_key.key) (acknowledged error, fix pending: prevent_destroy pending in the monitoring construct)'),
    ]);
    const json = stack.toTerraform();
    expect(json.resource.google_kms_crypto_key.key['//']).toMatchObject({
      policy_acknowledged: { 'AI-GCP-KMS-2': 'prevent_destroy pending in the monitoring construct' },
      checkov: { skip: [{ id: 'CKV_GCP_82', comment: 'AI-GCP-KMS-2 acknowledged, fix pending: prevent_destroy pending in the monitoring construct' }] },
    });
    expect(json['//'].policy.acknowledged).toEqual([{ rule: 'AI-GCP-KMS-2', path: 'p/key', reason: 'prevent_destroy pending in the monitoring construct' }]);
  });

  test('a suppression needs a rule id and a real reason', () => {
    const stack = newStack();
    expect(() => Policy.suppress(stack, 'AI-AWS-S3-1', 'because')).toThrow(InvalidPropError);
    expect(() => Policy.suppress(stack, 'AI-AWS-S3-1', 'because')).toThrow(/^test: invalid reason = "because"\. Allowed: a reason of at least 10 characters/);
    expect(() => Policy.suppress(stack, 'not a rule', 'a long enough reason')).toThrow(/invalid ruleId = "not a rule"\. Allowed: a rule id such as AI-AWS-S3-1/);
  });

  test('a Kubernetes object is suppressed by its own annotation', () => {
    const stack = newStack();
    const d = deployment('chat');
    (d.metadata as Record<string, unknown>).annotations = { [`${KUBERNETES_SUPPRESSION_PREFIX}AI-K8S-SRV-1`]: 'single-replica dev endpoint, drained on purpose' };
    k8s(stack, d);
    const f = new AiInfraPolicyPack().evaluate(stack).filter((x) => x.ruleId === 'AI-K8S-SRV-1');
    expect(f).toEqual([expect.objectContaining({ subject: 'Deployment/serving/chat', suppressedReason: 'single-replica dev endpoint, drained on purpose' })]);
  });

  test('Policy.skipCheckov writes skips with the reason on the resources under the scope', () => {
    const stack = newStack();
    const team = new Construct(stack, 'team');
    raw(team, 'aws_s3_bucket', 'b', { bucket: 'x' });
    raw(team, 'aws_kms_key', 'k', { enable_key_rotation: true });
    Policy.skipCheckov(team, ['CKV2_AWS_62'], 'No event consumers in this account', { resourceTypes: ['aws_s3_bucket'] });
    const json = synthesized(stack);
    expect(Object.values(json.resource.aws_s3_bucket)[0]['//']).toMatchObject({
      checkov: { skip: [{ id: 'CKV2_AWS_62', comment: 'No event consumers in this account' }] },
    });
    expect((Object.values(json.resource.aws_kms_key)[0]['//'] as Record<string, unknown>).checkov).toBeUndefined();
    expect(() => Policy.skipCheckov(team, ['S3-1'], 'a long enough reason')).toThrow(/invalid checkIds = "S3-1"/);
  });

  test('the pack writes the library\'s checkov exemptions only where their condition holds', () => {
    const stack = newStack();
    const logs = raw(stack, 'aws_s3_bucket', 'logs', { bucket: 'acme-logs' });
    const models = raw(stack, 'aws_s3_bucket', 'models', { bucket: 'acme-models' });
    raw(stack, 'aws_s3_bucket_logging', 'l', { bucket: ref(models), target_bucket: ref(logs) });
    Aspects.of(stack).add(new AiInfraPolicyPack());
    const json = synthesized(stack);
    const skipIds = (name: string) => ((json.resource.aws_s3_bucket[name]['//'] as { checkov?: { skip: { id: string }[] } }).checkov?.skip ?? []).map((s) => s.id);
    // only the log target is exempt (CKV2_AWS_62 is fixed by every bucket's EventBridge notification, not skipped)
    expect(skipIds('logs')).toEqual(['CKV_AWS_144', 'CKV_AWS_145', 'CKV_AWS_18']);
    expect(skipIds('models')).toEqual([]);
    for (const e of CHECKOV_EXEMPTIONS) expect(e.reason.length).toBeGreaterThan(30);
  });
});

describe('user rules', () => {
  const tagged = terraformRule({
    id: 'ACME-TAGS-1', severity: 'error', title: 'Buckets carry a cost-center tag',
    rationale: 'Finance splits the bill by cost center.', remediation: 'Pass tags: { "cost-center": "..." }.',
    resourceTypes: ['aws_s3_bucket'],
    check: (r) => ((r.attrs.tags as Record<string, string> | undefined)?.['cost-center'] ? undefined : 'no cost-center tag'),
  });

  test('a pack of one user rule', () => {
    const stack = newStack();
    raw(stack, 'aws_s3_bucket', 'a', { bucket: 'a', tags: { 'cost-center': 'ml' } });
    raw(stack, 'aws_s3_bucket', 'b', { bucket: 'b' });
    expect(new PolicyPack({ name: 'acme', rules: [tagged] }).evaluate(stack).map((f) => `${f.ruleId} ${f.constructPath}`)).toEqual(['ACME-TAGS-1 test/b']);
  });

  test('extra rules join the built-in pack; duplicate ids and bad severities are rejected', () => {
    const pack = new AiInfraPolicyPack({ extraRules: [tagged] });
    expect(pack.rules.map((r) => r.id)).toContain('ACME-TAGS-1');
    expect(() => pack.addRule(tagged)).toThrow(/invalid rule = "ACME-TAGS-1"\. Allowed: a rule id not already in the pack/);
    expect(() => new PolicyPack().addRule({ ...tagged, severity: 'fatal' as never })).toThrow(/invalid ACME-TAGS-1\.severity = "fatal"/);
  });

  test('a user Kubernetes rule sees the objects of the stack', () => {
    const stack = newStack();
    k8s(stack, deployment('chat'), pdb('chat'));
    const labelled = kubernetesRule({
      id: 'ACME-K8S-1', severity: 'warning', title: 'Deployments carry a team label', rationale: 'Ownership for paging.',
      remediation: 'Add metadata.labels.team.', kinds: ['Deployment'],
      check: (o) => ((o.manifest.metadata as { labels?: Record<string, string> }).labels?.team ? undefined : 'no team label'),
    });
    expect(new PolicyPack({ rules: [labelled] }).evaluate(stack)).toEqual([expect.objectContaining({ ruleId: 'ACME-K8S-1', subject: 'Deployment/serving/chat' })]);
  });
});

describe('Kubernetes objects of the library\'s delivery construct', () => {
  test('the pack sees the objects a KubernetesWorkload renders', () => {
    const { KubernetesWorkload } = require('../../src/k8s/delivery') as typeof import('../../src/k8s/delivery');
    const { FakeGpuCluster } = require('../k8s/fake-cluster') as typeof import('../k8s/fake-cluster');
    const app = new App({ outdir: fs.mkdtempSync(path.join(require('os').tmpdir(), 'policy-k8s-')) });
    const stack = new TerraformStack(app, 'w');
    const cluster = new FakeGpuCluster(stack, 'cluster');
    const workload = new KubernetesWorkload(stack, 'serving', { cluster, namespace: 'serving' });
    workload.addObject('chat', deployment('chat', { hostNetwork: true }) as never);
    const found = new AiInfraPolicyPack().evaluate(stack);
    // An owner exposing the same chart does not double the findings.
    Object.defineProperty(stack, 'chart', { value: workload.chart });
    expect(new AiInfraPolicyPack().evaluate(stack).filter((f) => f.ruleId === 'AI-K8S-POD-8')).toHaveLength(1);
    expect(found).toEqual(expect.arrayContaining([
      expect.objectContaining({ ruleId: 'AI-K8S-POD-8', constructPath: 'w/serving', subject: 'Deployment/serving/chat', message: 'hostNetwork: true' }),
      expect.objectContaining({ ruleId: 'AI-K8S-SRV-1', subject: 'Deployment/serving/chat' }),
    ]));
  });
});
