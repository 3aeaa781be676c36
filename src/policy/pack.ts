import { IConstruct } from 'constructs';
import { AnnotationMetadataEntryType, Aspects, IAspect, TerraformDataSource, TerraformResource, TerraformStack } from 'cdktf';
import { InvalidPropError } from '../core/errors';
import { CheckovExemption, exemptionsFor } from './checkov';
import { StackPolicyContext } from './context';
import { fixText, KubernetesObjectView, PolicyFinding, PolicyRule, PolicySeverity, PolicyViolation } from './rule';
import { KUBERNETES_SUPPRESSION_PREFIX, Policy, PolicySuppression, recordCheckovSkip, recordSuppression } from './suppress';

const PACKS = Symbol.for('cdktf-ai-infra.policy.packs');
const ERROR = AnnotationMetadataEntryType.ERROR;
const WARN = AnnotationMetadataEntryType.WARN;

export interface PolicyPackProps {
  /** Name recorded in the synthesized output and in messages. @default 'policy-pack' */
  readonly name?: string;
  /** The rules. @default - none (add them with `addRule`) */
  readonly rules?: readonly PolicyRule[];
  /** Rule ids to leave out of the pack. @default - none */
  readonly exclude?: readonly string[];
  /** New severities for some rules, by id (e.g. make a warning an error in production). @default - each rule's own */
  readonly severities?: Readonly<Record<string, PolicySeverity>>;
  /**
   * checkov checks that do not apply, written with their reason into each matching resource's
   * `"//": { "checkov": { "skip": [...] } }` when the pack runs at synth.
   * @default - none
   */
  readonly checkovExemptions?: readonly CheckovExemption[];
}

function messages(v: PolicyViolation): string[] {
  if (v === undefined) return [];
  return typeof v === 'string' ? [v] : [...v];
}

function isElement(node: IConstruct): node is TerraformResource | TerraformDataSource {
  return TerraformResource.isTerraformResource(node) || TerraformDataSource.isTerraformDataSource(node);
}

function objectSuppression(object: KubernetesObjectView, ruleId: string): string | undefined {
  const annotations = (object.manifest.metadata as { annotations?: Record<string, unknown> } | undefined)?.annotations;
  const reason = annotations?.[`${KUBERNETES_SUPPRESSION_PREFIX}${ruleId}`];
  return typeof reason === 'string' && reason.trim().length > 0 ? reason.trim() : undefined;
}

/**
 * A set of rules applied as an Aspect: `Aspects.of(stack).add(new AiInfraPolicyPack())`. At synth every
 * finding becomes an Annotation on the construct (errors fail `cdktf synth`, warnings are printed);
 * `PolicyPack.check(stack)` returns the same findings for tests (`Testing.synth` skips validations).
 * Subclass it or pass `rules` to make your own pack; `addRule` adds one.
 */
export class PolicyPack implements IAspect {
  /**
   * The findings of the packs applied to the stacks in `scope` (or of `packs`, or of the built-in
   * `AiInfraPolicyPack` when none is applied), suppressed ones included (with `suppressedReason`).
   */
  public static check(scope: IConstruct, ...packs: PolicyPack[]): PolicyFinding[] {
    let use = packs;
    if (use.length === 0) {
      const stacks = stacksIn(scope);
      use = [...new Set(stacks.flatMap((s) => [...s.node.scopes].flatMap((c) => Aspects.of(c).all.filter(PolicyPack.isPolicyPack))))];
    }
    if (use.length === 0) {
      const { AiInfraPolicyPack } = require('./ai-infra-pack') as typeof import('./ai-infra-pack');
      use = [new AiInfraPolicyPack()];
    }
    return use.flatMap((p) => p.evaluate(scope));
  }

  /** Only the findings that are not suppressed and have severity `error`. */
  public static errors(scope: IConstruct, ...packs: PolicyPack[]): PolicyFinding[] {
    return PolicyPack.check(scope, ...packs).filter((f) => f.severity === 'error' && f.suppressedReason === undefined && f.acknowledged === undefined);
  }

  public static isPolicyPack(x: unknown): x is PolicyPack {
    return x instanceof PolicyPack;
  }

  public readonly name: string;
  private readonly ruleList: PolicyRule[] = [];
  private readonly severities: Readonly<Record<string, PolicySeverity>>;
  private readonly exclude: ReadonlySet<string>;
  private readonly checkovExemptions: readonly CheckovExemption[];
  private readonly contexts = new Map<TerraformStack, StackPolicyContext>();
  private readonly reported = new Set<string>();
  private effective?: PolicyRule[];

  constructor(props: PolicyPackProps = {}) {
    this.name = props.name ?? 'policy-pack';
    this.severities = props.severities ?? {};
    this.exclude = new Set(props.exclude ?? []);
    this.checkovExemptions = props.checkovExemptions ?? [];
    for (const rule of props.rules ?? []) this.addRule(rule);
  }

  /** The rules in the pack (excluded ones left out, severities as overridden). */
  public get rules(): readonly PolicyRule[] {
    if (!this.effective) {
      this.effective = this.ruleList.filter((r) => !this.exclude.has(r.id)).map((r) => {
        const severity = this.severities[r.id];
        return severity && severity !== r.severity ? { ...r, severity } : r;
      });
    }
    return this.effective;
  }

  /** Adds rules; an id already in the pack is an error. */
  public addRule(...rules: PolicyRule[]): this {
    for (const rule of rules) {
      if (!rule || typeof rule.id !== 'string' || typeof rule.check !== 'function') {
        throw new InvalidPropError(`PolicyPack ${this.name}`, 'rule', rule?.id, 'a rule made with terraformRule(...) or kubernetesRule(...)');
      }
      if (rule.severity !== 'error' && rule.severity !== 'warning') {
        throw new InvalidPropError(`PolicyPack ${this.name}`, `${rule.id}.severity`, rule.severity, 'one of "error", "warning"');
      }
      if (this.ruleList.some((r) => r.id === rule.id)) {
        throw new InvalidPropError(`PolicyPack ${this.name}`, 'rule', rule.id, 'a rule id not already in the pack');
      }
      this.ruleList.push(rule);
      this.effective = undefined;
    }
    return this;
  }

  /** Every finding of this pack under `scope` (a construct, a stack or an app), suppressed ones included. */
  public evaluate(scope: IConstruct): PolicyFinding[] {
    const findings: PolicyFinding[] = [];
    for (const stack of stacksIn(scope)) {
      const ctx = new StackPolicyContext(stack);
      const inScope = TerraformStack.isStack(scope) || enclosingStack(scope) === undefined ? undefined : scope;
      for (const node of stack.node.findAll()) {
        if (TerraformStack.of(node) !== stack) continue;
        if (inScope && node.node.path !== inScope.node.path && !node.node.path.startsWith(`${inScope.node.path}/`)) continue;
        findings.push(...this.findingsAt(node, ctx));
      }
    }
    return findings;
  }

  /** Aspect entry point: reports the findings on `node` as annotations. */
  public visit(node: IConstruct): void {
    if (TerraformStack.isStack(node)) {
      this.contexts.set(node, new StackPolicyContext(node));
      this.recordStack(node);
      return;
    }
    const stack = TerraformStack.of(node);
    let ctx = this.contexts.get(stack);
    if (!ctx) {
      ctx = new StackPolicyContext(stack);
      this.contexts.set(stack, ctx);
    }
    if (TerraformResource.isTerraformResource(node) && this.checkovExemptions.length > 0) {
      const view = ctx.viewOf(node);
      for (const e of view ? exemptionsFor(this.checkovExemptions, view, ctx) : []) {
        for (const id of e.checks) recordCheckovSkip(node, id, e.reason);
      }
    }
    for (const f of this.findingsAt(node, ctx)) {
      const key = `${f.constructPath}|${f.ruleId}|${f.subject}|${f.message}`;
      if (this.reported.has(key)) continue;
      this.reported.add(key);
      if (f.suppressedReason !== undefined) {
        if (TerraformResource.isTerraformResource(node)) {
          recordSuppression(node, f.ruleId, f.suppressedReason);
          const rule = this.ruleList.find((r) => r.id === f.ruleId);
          for (const id of rule?.checkov ?? []) recordCheckovSkip(node, id, `${f.ruleId} suppressed: ${f.suppressedReason}`);
        }
        continue;
      }
      if (f.acknowledged !== undefined && TerraformResource.isTerraformResource(node)) {
        recordSuppression(node, f.ruleId, f.acknowledged, 'acknowledged');
        const rule = this.ruleList.find((r) => r.id === f.ruleId);
        for (const id of rule?.checkov ?? []) recordCheckovSkip(node, id, `${f.ruleId} acknowledged, fix pending: ${f.acknowledged}`);
      }
      const note = f.acknowledged !== undefined ? ` (acknowledged ${f.severity}, fix pending: ${f.acknowledged})` : '';
      const text = `[${f.ruleId}] ${f.title}: ${f.message} (${f.subject})${note}. Fix: ${f.remediation}`;
      // The same entries Annotations.of(node).addError/addWarning write, without a stack trace: a trace would put
      // absolute source paths of the build machine into cdktf.out/manifest.json.
      node.node.addMetadata(f.severity === 'error' && f.acknowledged === undefined ? ERROR : WARN, text, { stackTrace: false });
    }
  }

  private recordStack(stack: TerraformStack): void {
    const holder = stack as unknown as Record<symbol, string[] | undefined>;
    if (!holder[PACKS]) Object.defineProperty(stack, PACKS, { value: [], enumerable: false });
    if (!holder[PACKS]!.includes(this.name)) holder[PACKS]!.push(this.name);
    const all = Policy.suppressionsIn(stack).sort((a, b) => `${a.path}|${a.ruleId}`.localeCompare(`${b.path}|${b.ruleId}`));
    const list = (kind: string) => all.filter((s) => s.kind === kind).map((s) => ({ rule: s.ruleId, path: s.path, reason: s.reason }));
    const acknowledged = list('acknowledged');
    stack.addOverride('//.policy', {
      packs: [...holder[PACKS]!].sort(), suppressions: list('suppressed'), ...(acknowledged.length ? { acknowledged } : {}),
    });
  }

  private findingsAt(node: IConstruct, ctx: StackPolicyContext): PolicyFinding[] {
    const out: PolicyFinding[] = [];
    const rules = this.rules;
    if (isElement(node)) {
      const view = ctx.viewOf(node);
      if (view) {
        for (const rule of rules) {
          if (rule.target !== 'terraform' || !rule.resourceTypes.includes(view.type)) continue;
          for (const message of messages(rule.check(view, ctx))) {
            out.push({
              ruleId: rule.id, severity: rule.severity, title: rule.title, constructPath: node.node.path,
              subject: view.address, message, remediation: fixText(rule, node.node.path),
              ...waiver(Policy.suppressionFor(node, rule.id)),
            });
          }
        }
      }
    }
    const objects = ctx.kubernetesSources().get(node);
    for (const object of objects ?? []) {
      for (const rule of rules) {
        if (rule.target !== 'kubernetes' || (rule.kinds && !rule.kinds.includes(object.kind))) continue;
        for (const message of messages(rule.check(object, ctx))) {
          out.push({
            ruleId: rule.id, severity: rule.severity, title: rule.title, constructPath: node.node.path,
            subject: object.address, message, remediation: fixText(rule, node.node.path),
            ...(objectSuppression(object, rule.id) !== undefined
              ? { suppressedReason: objectSuppression(object, rule.id) } : waiver(Policy.suppressionFor(node, rule.id))),
          });
        }
      }
    }
    return out;
  }
}

function waiver(s: PolicySuppression | undefined): Pick<PolicyFinding, 'suppressedReason' | 'acknowledged'> {
  if (!s) return {};
  return s.kind === 'acknowledged' ? { acknowledged: s.reason } : { suppressedReason: s.reason };
}

/** The stack `scope` is in, or undefined for an app (or a construct outside any stack). */
function enclosingStack(scope: IConstruct): TerraformStack | undefined {
  return scope.node.scopes.find((s): s is TerraformStack => TerraformStack.isStack(s));
}

function stacksIn(scope: IConstruct): TerraformStack[] {
  const enclosing = enclosingStack(scope);
  if (enclosing) return [enclosing];
  return scope.node.findAll().filter(TerraformStack.isStack);
}
