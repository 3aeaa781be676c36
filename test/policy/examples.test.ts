// The example stacks (platform-aws/gcp/azure and the two-stack form) pass the policy pack with zero errors (asserted explicitly: Testing.synth skips
// validations), and every suppression they carry is listed with its reason in src/policy/README.md.
import * as fs from 'fs';
import * as path from 'path';
import { Aspects, Testing } from 'cdktf';
import { buildPlatformApp } from '../../examples/platform/platform';
import { buildTwoStackApp } from '../../examples/two-stack/stacks';
import { PolicyPack } from '../../src';

const readme = fs.readFileSync(path.join(__dirname, '../../src/policy/README.md'), 'utf8');

function exampleStacks() {
  const twoStack = buildTwoStackApp(Testing.app());
  return [...buildPlatformApp(Testing.app()), twoStack.infra, twoStack.workloads];
}

describe.each(exampleStacks().map((s) => [s.node.id, s] as const))('%s', (_id, stack) => {
  const findings = PolicyPack.check(stack);

  test('the pack is applied to the stack', () => {
    const applied = Aspects.of(stack).all.filter(PolicyPack.isPolicyPack);
    expect(applied.map((p) => p.name)).toEqual(['cdktf-ai-infra']);
    expect(applied[0].rules.length).toBeGreaterThanOrEqual(60);
  });

  test('no unsuppressed errors', () => {
    expect(PolicyPack.errors(stack).map((f) => `${f.ruleId} ${f.constructPath}: ${f.message}`)).toEqual([]);
  });

  test('every suppression and acknowledgement is listed in the README with its construct', () => {
    const waived = findings.filter((f) => f.suppressedReason !== undefined || f.acknowledged !== undefined);
    const missing = waived.filter((f) => {
      const construct = f.constructPath.split('/').slice(1).join('/');
      return !readme.split('\n').some((line) => line.includes(f.ruleId) && line.includes(`\`${construct.split('/')[0]}`));
    });
    expect(missing.map((f) => `${f.ruleId} ${f.constructPath}`)).toEqual([]);
  });

  test('every checkov skip the synthesized JSON declares has a reason and is listed in the README', () => {
    Testing.synth(stack);
    const json = stack.toTerraform() as { resource?: Record<string, Record<string, { '//'?: { checkov?: { skip?: { id: string; comment: string }[] } } }>> };
    const skips = Object.values(json.resource ?? {}).flatMap((byName) => Object.values(byName))
      .flatMap((r) => r['//']?.checkov?.skip ?? []);
    for (const skip of skips) expect(skip.comment.length).toBeGreaterThan(20);
    const ids = [...new Set(skips.map((x) => x.id))].sort();
    expect(ids.filter((id) => !readme.includes(id))).toEqual([]);
  });
});
