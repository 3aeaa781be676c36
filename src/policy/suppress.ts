import { IConstruct } from 'constructs';
import { Aspects, IAspect, TerraformResource } from 'cdktf';
import { InvalidPropError } from '../core/errors';
import { assertOneCore } from '../core/one-core';

const SUPPRESSIONS = Symbol.for('cdktf-ai-infra.policy.suppressions');
const RECORDED = Symbol.for('cdktf-ai-infra.policy.recorded');

/** Annotation on a Kubernetes object that suppresses one rule for that object: `<prefix><RULE-ID>: <reason>`. */
export const KUBERNETES_SUPPRESSION_PREFIX = 'policy.cdktf-ai-infra.dev/';

/**
 * A rule switched off on a construct (and everything under it), with the reason (`suppressed`), or a finding
 * kept visible as a warning while its fix is pending (`acknowledged`).
 */
export interface PolicySuppression {
  readonly ruleId: string;
  readonly reason: string;
  readonly kind: 'suppressed' | 'acknowledged';
  /** Path of the construct the suppression was made on. */
  readonly path: string;
}

const MIN_REASON = 10;
const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{1,62}$/;

function own(scope: IConstruct): PolicySuppression[] {
  const holder = scope as unknown as Record<symbol, PolicySuppression[] | undefined>;
  if (!holder[SUPPRESSIONS]) Object.defineProperty(scope, SUPPRESSIONS, { value: [], enumerable: false });
  return holder[SUPPRESSIONS]!;
}

/** What a resource records in its `//` block of cdk.tf.json. */
interface Recorded {
  policy: Record<string, string>;
  acknowledged: Record<string, string>;
  checkov: Map<string, string>;
}

function recorded(resource: TerraformResource): Recorded {
  const holder = resource as unknown as Record<symbol, Recorded | undefined>;
  if (!holder[RECORDED]) Object.defineProperty(resource, RECORDED, { value: { policy: {}, acknowledged: {}, checkov: new Map() }, enumerable: false });
  return holder[RECORDED]!;
}

/** The checkov skips recorded on `resource`, check id -> reason (empty when none). */
export function checkovSkipsOf(resource: TerraformResource): ReadonlyMap<string, string> {
  return (resource as unknown as Record<symbol, Recorded | undefined>)[RECORDED]?.checkov ?? new Map();
}

/** Writes a rule suppression (or acknowledgement) into the resource's `//` metadata in cdk.tf.json. */
export function recordSuppression(resource: TerraformResource, ruleId: string, reason: string, kind: PolicySuppression['kind'] = 'suppressed'): void {
  const rec = recorded(resource);
  const map = kind === 'suppressed' ? rec.policy : rec.acknowledged;
  if (map[ruleId] === reason) return;
  map[ruleId] = reason;
  resource.addOverride(kind === 'suppressed' ? '//.policy_suppressions' : '//.policy_acknowledged', { ...map });
}

/**
 * Writes checkov skips into the resource's `//` metadata: `"//": { "checkov": { "skip": [{ id, comment }] } }`
 * (the shape proposed in checkov issue #4634). checkov does not read skips from Terraform JSON itself;
 * scripts/test-checkov.sh applies exactly these, so every skip lives in the synthesized file with its reason.
 */
export function recordCheckovSkip(resource: TerraformResource, checkId: string, reason: string): void {
  const rec = recorded(resource);
  if (rec.checkov.get(checkId) === reason) return;
  rec.checkov.set(checkId, reason);
  const skip = [...rec.checkov.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, comment]) => ({ id, comment }));
  resource.addOverride('//.checkov', { skip });
}

class CheckovSkipAspect implements IAspect {
  constructor(private readonly checks: readonly string[], private readonly reason: string, private readonly types?: readonly string[]) {}
  public visit(node: IConstruct): void {
    if (!TerraformResource.isTerraformResource(node)) return;
    if (this.types && !this.types.includes(node.terraformResourceType)) return;
    for (const id of this.checks) recordCheckovSkip(node, id, this.reason);
  }
}

/** Suppressions and scanner skips, always with a reason that lands in the synthesized output. */
export class Policy {
  /**
   * Suppresses rule `ruleId` on `scope` and every construct under it. The reason is recorded in the
   * synthesized JSON (`"//": { "policy_suppressions": { RULE: reason } }` on each resource that had a finding,
   * and a stack-level list in `"//": { "policy": ... }`), and equivalent checkov checks are skipped with it.
   */
  public static suppress(scope: IConstruct, ruleId: string, reason: string): void {
    Policy.record(scope, ruleId, reason, 'suppressed', 'why the rule does not apply');
  }

  /**
   * Acknowledges findings of `ruleId` on `scope` (and below) whose fix is pending: they stay visible, reported
   * as warnings with the note instead of errors, recorded in cdk.tf.json (`"//": { "policy_acknowledged": ... }`
   * and the stack's list), and their equivalent checkov checks are skipped with the note. Use it to ship while
   * a fix lands; use `suppress` when the rule does not apply by design.
   */
  public static acknowledge(scope: IConstruct, ruleId: string, note: string): void {
    Policy.record(scope, ruleId, note, 'acknowledged', 'the pending fix and who owns it');
  }

  private static record(scope: IConstruct, ruleId: string, reason: string, kind: PolicySuppression['kind'], what: string): void {
    if (typeof ruleId !== 'string' || !RULE_ID.test(ruleId)) {
      throw new InvalidPropError(scope, 'ruleId', ruleId, 'a rule id such as AI-AWS-S3-1');
    }
    if (typeof reason !== 'string' || reason.trim().length < MIN_REASON) {
      throw new InvalidPropError(scope, 'reason', reason, `a reason of at least ${MIN_REASON} characters saying ${what}`);
    }
    const list = own(scope);
    const existing = list.findIndex((s) => s.ruleId === ruleId);
    const entry = { ruleId, reason: reason.trim(), path: scope.node.path, kind };
    if (existing >= 0) list[existing] = entry;
    else list.push(entry);
    scope.node.addMetadata(`cdktf-ai-infra:policy-${kind}`, { ruleId, reason: entry.reason });
  }

  /** The suppression of `ruleId` that applies to `scope` (its own, or the nearest ancestor's). */
  public static suppressionFor(scope: IConstruct, ruleId: string): PolicySuppression | undefined {
    for (const s of [...scope.node.scopes].reverse()) {
      const hit = (s as unknown as Record<symbol, PolicySuppression[] | undefined>)[SUPPRESSIONS]?.find((x) => x.ruleId === ruleId);
      if (hit) return hit;
    }
    return undefined;
  }

  /** Every suppression made on `scope` or below it. */
  public static suppressionsIn(scope: IConstruct): PolicySuppression[] {
    return scope.node.findAll().flatMap((c) => [...((c as unknown as Record<symbol, PolicySuppression[] | undefined>)[SUPPRESSIONS] ?? [])]);
  }

  /**
   * Skips checkov checks on the Terraform resources under `scope` (optionally only resources of some types),
   * recording `{ id, comment: reason }` in each resource's `"//": { "checkov": { "skip": [...] } }`.
   */
  public static skipCheckov(scope: IConstruct, checkIds: readonly string[], reason: string, options: { readonly resourceTypes?: readonly string[] } = {}): void {
    for (const id of checkIds) {
      if (!/^CKV2?_[A-Z0-9]+_\d+$/.test(id)) throw new InvalidPropError(scope, 'checkIds', id, 'checkov check ids such as CKV_AWS_18 or CKV2_GCP_5');
    }
    if (typeof reason !== 'string' || reason.trim().length < MIN_REASON) {
      throw new InvalidPropError(scope, 'reason', reason, `a reason of at least ${MIN_REASON} characters saying why the check does not apply`);
    }
    assertOneCore(scope); // an Aspect of our core copy would be skipped by a stack of another
    Aspects.of(scope).add(new CheckovSkipAspect(checkIds, reason.trim(), options.resourceTypes));
  }
}
