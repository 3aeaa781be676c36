// Small readers over synthesized attributes, shared by the rules. Attributes come as cdk.tf.json has them:
// a nested block is an object or an array of objects; a reference is a `${...}` expression string.

export type Attrs = Record<string, unknown>;

/** True for a value Terraform computes at apply time (a reference or function call). */
export function isExpression(value: unknown): boolean {
  return typeof value === 'string' && value.includes('${');
}

/** A nested block as a list (a single block object becomes a list of one). */
export function blocks(value: unknown): Attrs[] {
  if (Array.isArray(value)) return value.filter((v): v is Attrs => v !== null && typeof v === 'object' && !Array.isArray(v));
  if (value !== null && typeof value === 'object') return [value as Attrs];
  return [];
}

/** Follows keys through nested blocks (the first block of a list). */
export function dig(value: unknown, ...keys: string[]): unknown {
  let cur: unknown = value;
  for (const key of keys) {
    const block = Array.isArray(cur) ? blocks(cur)[0] : cur;
    if (block === null || typeof block !== 'object') return undefined;
    cur = (block as Attrs)[key];
  }
  return cur;
}

/** true, "true", or a computed value (trusted: the user chose an expression). */
export function isOn(value: unknown): boolean {
  return value === true || value === 'true' || isExpression(value);
}

/** Explicitly false. */
export function isOff(value: unknown): boolean {
  return value === false || value === 'false';
}

/** A non-empty string (a literal or an expression). */
export function isSet(value: unknown): boolean {
  return typeof value === 'string' ? value.length > 0 : value !== undefined && value !== null;
}

/** A list of strings (a single string counts as one; an expression as unknown content). */
export function strings(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'string') return [value];
  return [];
}

const addressPatterns = new Map<string, RegExp>();

/** True when `value` (any depth) mentions the Terraform address `address` in an expression. */
export function mentions(value: unknown, address: string): boolean {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  if (!text.includes(address)) return false;
  let re = addressPatterns.get(address);
  if (!re) {
    const escaped = address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    re = new RegExp(`(?<![\\w.-])${escaped}\\.`);
    addressPatterns.set(address, re);
  }
  return re.test(text);
}

/** An IAM-style policy document statement. */
export interface PolicyStatement {
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly NotResource?: string | string[];
  readonly Principal?: unknown;
  readonly Condition?: unknown;
}

/** Statements of a JSON policy document (string or object); empty when it cannot be read (a computed document). */
export function policyStatements(document: unknown): PolicyStatement[] {
  let doc: unknown = document;
  if (typeof document === 'string') {
    try {
      doc = JSON.parse(document);
    } catch {
      return [];
    }
  }
  const statements = (doc as { Statement?: unknown } | undefined)?.Statement;
  if (Array.isArray(statements)) return statements as PolicyStatement[];
  if (statements && typeof statements === 'object') return [statements as PolicyStatement];
  return [];
}

/** `aws_iam_policy_document` statement blocks, mapped to the JSON shape. */
export function documentStatements(attrs: Attrs): PolicyStatement[] {
  return blocks(attrs.statement).map((s) => ({
    Effect: typeof s.effect === 'string' ? s.effect : 'Allow',
    Action: strings(s.actions),
    NotAction: strings(s.not_actions),
    Resource: strings(s.resources),
    NotResource: strings(s.not_resources),
    Principal: s.principals,
  }));
}

/** Every string in a value, at any depth. */
export function allStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (value !== null && typeof value === 'object') return Object.values(value as Attrs).flatMap(allStrings);
  return [];
}

/** `0.0.0.0/0` or `::/0` or `*` / `Internet` (Azure) as a source range. */
export function isAnywhere(cidr: string): boolean {
  return ['0.0.0.0/0', '::/0', '*', 'Internet', 'Any', '0.0.0.0'].includes(cidr.trim());
}

/** The subset of the context `attached` needs (kept structural so util.ts has no imports). */
interface Referencing {
  referencing(type: string, target: { readonly address: string; readonly attrs: Attrs }): readonly { readonly attrs: Attrs }[];
  resources(type?: string): readonly { readonly attrs: Attrs; readonly address: string }[];
}

/**
 * Companion resources of `type` configuring `target` (e.g. the `aws_s3_bucket_versioning` of a bucket): those whose
 * `linkAttr` references the target, or names it literally (`linkAttr` equals the target's `nameAttr`).
 */
export function attached<T extends { readonly attrs: Attrs }>(ctx: Referencing, type: string,
  target: { readonly address: string; readonly attrs: Attrs }, linkAttr: string, nameAttr: string): T[] {
  const name = target.attrs[nameAttr];
  return ctx.resources(type).filter((r) => mentions(r.attrs[linkAttr], target.address)
    || (typeof name === 'string' && name.length > 0 && r.attrs[linkAttr] === name)) as unknown as T[];
}

/** Literally true (an expression does not count): for settings that must not be on. */
export function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

/** The statements of the IAM policies a resource carries: `policy` (JSON), a policy document's blocks, a role's inline policies. */
export function iamStatements(type: string, attrs: Attrs): PolicyStatement[] {
  if (type === 'data.aws_iam_policy_document') return documentStatements(attrs);
  if (type === 'aws_iam_role') return blocks(attrs.inline_policy).flatMap((p) => policyStatements(p.policy));
  return policyStatements(attrs.policy);
}
