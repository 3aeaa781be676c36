import * as fs from 'fs';
import * as path from 'path';
import { Construct, IConstruct } from 'constructs';
import { TerraformResource, TerraformStack } from 'cdktf';
import { addCustomSynthesis } from 'cdktf/lib/synthesize/synthesizer';
import { checkovSkipsOf, Policy } from '../policy/suppress';
import { PLATFORM_FILE, SUMMARY_PART, SummaryPart } from './model';
import { PlatformFacts, renderPlatformMarkdown } from './render';

export type { PoolSummary, SummaryPart } from './model';
export { PLATFORM_FILE, SUMMARY_BEGIN, SUMMARY_END } from './model';
export { renderPlatformMarkdown } from './render';

const REGISTERED = Symbol.for('cdktf-ai-infra.platform-summary-registered');
const CUSTOM_SYNTHESIS = Symbol.for('cdktf/customSynthesis');

/**
 * Tells the platform summary what `construct` is (called from its constructor); `part` runs at synth, when
 * the construct is complete. Registers the stack's summary.
 */
export function contributeSummary(construct: IConstruct, part: () => SummaryPart): void {
  Object.defineProperty(construct, SUMMARY_PART, { value: part, enumerable: false });
  registerPlatformSummary(construct);
}

/**
 * Writes `cdktf.out/stacks/<stack>/PLATFORM.md` at synth (once per stack, whoever synthesizes: `cdktf synth`,
 * the fast synth, `app.synth()`).
 */
export function registerPlatformSummary(scope: IConstruct): void {
  const stack = scope.node.scopes.find((s): s is TerraformStack => TerraformStack.isStack(s));
  if (!stack) return;
  const marked = stack as unknown as Record<symbol, boolean>;
  if (marked[REGISTERED]) return;
  marked[REGISTERED] = true;
  // cdktf keeps one custom synthesis per construct: the stack's own slot when free, else a child of its own.
  const host = (stack as unknown as Record<symbol, unknown>)[CUSTOM_SYNTHESIS] === undefined
    ? stack : new Construct(stack, 'cdktf-ai-infra-platform-summary');
  addCustomSynthesis(host, {
    onSynthesize: (session) => {
      const dir = path.join(session.outdir, 'stacks', stack.node.id);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, PLATFORM_FILE), renderPlatformMarkdown(platformFacts(stack)));
    },
  });
}

const WARNING = '@cdktf/warn';

/** What the stack holds, at synth (after aspects and validations, so their warnings are in). */
export function platformFacts(stack: TerraformStack): PlatformFacts {
  const resources = new Map<string, number>();
  const parts: SummaryPart[] = [];
  const warnings: string[] = [];
  // (kind, id, reason) -> construct paths: every active exemption is listed, none is silent.
  const exemptions = new Map<string, { kind: string; id: string; reason: string; paths: string[] }>();
  const exempt = (kind: string, id: string, reason: string, at: string) => {
    const key = `${kind}\u0000${id}\u0000${reason}`;
    const entry = exemptions.get(key) ?? { kind, id, reason, paths: [] };
    if (!entry.paths.includes(at)) entry.paths.push(at);
    exemptions.set(key, entry);
  };
  for (const s of Policy.suppressionsIn(stack)) exempt(s.kind, s.ruleId, s.reason, s.path);
  for (const c of stack.node.findAll()) {
    if (TerraformResource.isTerraformResource(c)) {
      const type = (c as TerraformResource).terraformResourceType;
      resources.set(type, (resources.get(type) ?? 0) + 1);
      for (const [id, reason] of checkovSkipsOf(c)) exempt('checkov skip', id, reason, c.node.path);
    }
    const part = (c as unknown as Record<symbol, (() => SummaryPart) | undefined>)[SUMMARY_PART];
    if (part) parts.push(part());
    for (const m of c.node.metadata) if (m.type === WARNING) warnings.push(`[${c.node.path}] ${String(m.data)}`);
  }
  const byKey = (a: { kind: string; id: string }, b: { kind: string; id: string }) => `${a.kind} ${a.id}`.localeCompare(`${b.kind} ${b.id}`);
  return {
    stack: stack.node.id, resources: [...resources].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)), parts, warnings,
    exemptions: [...exemptions.values()].sort(byKey),
  };
}
