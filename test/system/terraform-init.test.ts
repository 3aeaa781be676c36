/**
 * Real Terraform loads every stack we synthesize: each example, and every stack any jest test synthesized
 * (recorded by test/setup/collect-synth.ts when scripts/test.sh runs the suite). The only error allowed from
 * `init -backend=false` is the unavailable provider registry; the reference check (terraform-refs.ts) covers
 * what init does not read.
 */
import { checkTerraformConfig } from './terraform-refs';
import { collectedStacks, exampleStacks, SynthesizedStack } from './synthesized-stacks';
import { engines, initErrors, mapLimit } from './terraform';

const stacks: SynthesizedStack[] = [...exampleStacks(), ...collectedStacks()];

test('there is something to check: every example, plus the suite\'s stacks when recorded', () => {
  expect(stacks.filter((s) => s.source.startsWith('examples/')).length).toBeGreaterThanOrEqual(6);
  console.log(`real-tool tier: ${stacks.length} distinct stacks (${stacks.length - 6} recorded from the jest suite)`);
});

test('every ${...} reference and meta-argument names something declared', () => {
  const failures = stacks.flatMap((s) => checkTerraformConfig(JSON.parse(s.json), { otherStacks: s.otherStacks }).map((p) => `${s.source}\n    ${p.at}: ${p.message}`));
  expect(failures.slice(0, 30)).toEqual([]);
});

describe.each(engines())('$name init -backend=false', (engine) => {
  test('accepts every synthesized stack (only the provider download fails)', async () => {
    const results = await mapLimit(stacks, 2, async (s) => ({ s, errors: await initErrors(engine, s.json) }));
    const failures = results.filter((r) => r.errors.length > 0)
      .map((r) => `${r.s.source}: ${r.errors.length} error(s), first:\n${r.errors[0]}`);
    expect(failures.slice(0, 10)).toEqual([]);
  });
});
