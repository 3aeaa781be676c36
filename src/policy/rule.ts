import { IConstruct } from 'constructs';

/** `error` fails `cdktf synth`; `warning` is reported and synth goes on. */
export type PolicySeverity = 'error' | 'warning';

/** What every rule documents (cdk-nag style): an id, a severity, what, why and how to fix. */
export interface PolicyRuleInfo {
  /** Stable id, `AI-<AREA>-<THING>-<N>` for the built-in rules (e.g. `AI-AWS-S3-1`, `AI-K8S-POD-3`). */
  readonly id: string;
  readonly severity: PolicySeverity;
  /** What the rule checks, one line. */
  readonly title: string;
  /** Why it matters. */
  readonly rationale: string;
  /** How to fix a finding (the resource attributes). */
  readonly remediation: string;
  /**
   * How to fix it through this library's constructs: the construct prop to set. Every finding's fix text also
   * says how to accept it instead (`Policy.suppress`).
   * @default - no construct prop controls it: the library's constructs comply, so a finding comes from a
   * resource of your own or an escape-hatch override
   */
  readonly constructFix?: string;
  /**
   * checkov checks that test the same thing. Suppressing this rule on a construct also records a checkov
   * skip (same reason) on the construct's Terraform resources.
   * @default - none
   */
  readonly checkov?: readonly string[];
}

/** A Terraform resource (or data source) as the rules see it: resolved, snake_case, as it will be synthesized. */
export interface TerraformResourceView {
  /** The cdktf element (annotations and suppressions attach to it). */
  readonly construct: IConstruct;
  /** `aws_s3_bucket`; data sources are `data.aws_iam_policy_document`. */
  readonly type: string;
  /** Logical id in the synthesized JSON. */
  readonly name: string;
  /** `aws_s3_bucket.models_abc` (data sources: `data.x.y`): how references name it. */
  readonly address: string;
  /**
   * Attributes as they will be written to cdk.tf.json: snake_case keys, overrides applied, references
   * resolved to Terraform expressions (`${aws_kms_key.k.arn}`). Nested blocks are objects or arrays of objects.
   * Resolved on first read, which runs the resource's lazy values (a KubernetesWorkload's `helm_release` renders
   * and writes its chart then): read the attributes of the types a rule targets, not of every resource.
   */
  readonly attrs: Record<string, unknown>;
}

/** A Kubernetes object one of our constructs renders (cdk8s), as plain JSON. */
export interface KubernetesObjectView {
  /** The construct that delivers the object (a KubernetesWorkload): findings attach to it. */
  readonly source: IConstruct;
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** Namespace (unset for cluster-scoped objects or objects that take the release namespace). */
  readonly namespace?: string;
  /** The whole object. */
  readonly manifest: Record<string, unknown>;
  /** `Kind/namespace/name`, for messages. */
  readonly address: string;
}

/** What a rule may look at beside its subject: the rest of the stack. */
export interface PolicyContext {
  /** Every Terraform resource of the stack, or those of one type. */
  resources(type?: string): readonly TerraformResourceView[];
  /** Resources of `type` that reference `target` (any attribute mentions `${<target address>.`). */
  referencing(type: string, target: TerraformResourceView): readonly TerraformResourceView[];
  /** Every Kubernetes object our constructs render in the stack. */
  kubernetesObjects(): readonly KubernetesObjectView[];
}

/** What a check returns: nothing when compliant, else one message (or several) saying what is wrong. */
export type PolicyViolation = string | readonly string[] | undefined;

/** A rule over Terraform resources. */
export interface TerraformPolicyRule extends PolicyRuleInfo {
  readonly target: 'terraform';
  /** Resource types the rule looks at (`aws_s3_bucket`, `data.aws_iam_policy_document`). */
  readonly resourceTypes: readonly string[];
  check(resource: TerraformResourceView, context: PolicyContext): PolicyViolation;
}

/** A rule over Kubernetes objects. */
export interface KubernetesPolicyRule extends PolicyRuleInfo {
  readonly target: 'kubernetes';
  /** Kinds the rule looks at. @default - every kind */
  readonly kinds?: readonly string[];
  check(object: KubernetesObjectView, context: PolicyContext): PolicyViolation;
}

export type PolicyRule = TerraformPolicyRule | KubernetesPolicyRule;

/** Defines a Terraform rule (typed helper for rule files and user rules). */
export function terraformRule(rule: Omit<TerraformPolicyRule, 'target'>): TerraformPolicyRule {
  return { ...rule, target: 'terraform' };
}

/** Defines a Kubernetes rule (typed helper for rule files and user rules). */
export function kubernetesRule(rule: Omit<KubernetesPolicyRule, 'target'>): KubernetesPolicyRule {
  return { ...rule, target: 'kubernetes' };
}

/**
 * The fix text of a finding: the attributes to set (`remediation`), the construct prop that sets them where
 * one does (`constructFix`), and how to accept the finding on purpose (`Policy.suppress`).
 */
export function fixText(rule: PolicyRuleInfo, constructPath: string): string {
  const viaConstruct = rule.constructFix ? ` With cdktf-ai-infra constructs: ${rule.constructFix.replace(/\.$/, '')}.` : '';
  return `${rule.remediation}${viaConstruct} Or, if intended: Policy.suppress(<the construct ${constructPath} or a parent>, '${rule.id}', '<why>').`;
}

/** One thing a rule found. */
export interface PolicyFinding {
  readonly ruleId: string;
  readonly severity: PolicySeverity;
  readonly title: string;
  /** Path of the construct the finding attaches to. */
  readonly constructPath: string;
  /** Terraform address or `Kind/namespace/name`. */
  readonly subject: string;
  readonly message: string;
  /** The fix: attributes, the construct prop where one controls it, and the `Policy.suppress` call that accepts it. */
  readonly remediation: string;
  /** Set when the finding is suppressed: the reason given. */
  readonly suppressedReason?: string;
  /** Set when the finding is acknowledged (fix pending): the note given. It is reported as a warning. */
  readonly acknowledged?: string;
}
