/**
 * A static check of a synthesized Terraform JSON configuration, for what `terraform init` does not look at
 * and `terraform validate` cannot check here (no provider schemas on our machines):
 * - every `${...}` reference names a declared resource, data source, variable, local or module (an
 *   unresolved cdktf token such as `${TfToken[TOKEN.12]}` is caught the same way);
 * - meta-arguments: `depends_on` entries and `lifecycle.replace_triggered_by` are bare addresses of declared
 *   objects, `provider` names a declared provider configuration, `lifecycle.ignore_changes` holds bare
 *   attribute paths (or "all").
 * The expression scanner is deliberately small: it knows HCL's lexical shape (strings with nested templates,
 * traversals, function calls, for-expressions and template directives), not its full grammar.
 */

export interface TerraformConfig {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
  readonly ephemeral?: Record<string, Record<string, Record<string, unknown>>>;
  readonly variable?: Record<string, unknown>;
  readonly locals?: Record<string, unknown>;
  readonly output?: Record<string, unknown>;
  readonly module?: Record<string, unknown>;
  readonly provider?: Record<string, Array<Record<string, unknown>>>;
  readonly [key: string]: unknown;
}

/** Names that need no declaration: Terraform's own objects and iteration symbols. */
const BUILTIN_ROOTS = new Set(['path', 'terraform', 'count', 'each', 'self']);
const KEYWORDS = new Set(['true', 'false', 'null', 'for', 'in', 'if', 'else', 'endif', 'endfor']);

class Declared {
  readonly resources = new Set<string>();
  readonly data = new Set<string>();
  readonly ephemeral = new Set<string>();
  readonly variables: Set<string>;
  readonly locals: Set<string>;
  readonly modules: Set<string>;
  readonly providers = new Set<string>();

  constructor(config: TerraformConfig, private readonly otherStacks: ReadonlySet<string>) {
    for (const [type, byName] of Object.entries(config.resource ?? {})) for (const name of Object.keys(byName)) this.resources.add(`${type}.${name}`);
    for (const [type, byName] of Object.entries(config.data ?? {})) for (const name of Object.keys(byName)) this.data.add(`${type}.${name}`);
    for (const [type, byName] of Object.entries(config.ephemeral ?? {})) for (const name of Object.keys(byName)) this.ephemeral.add(`${type}.${name}`);
    this.variables = new Set(Object.keys(config.variable ?? {}));
    this.locals = new Set(Object.keys(config.locals ?? {}));
    this.modules = new Set(Object.keys(config.module ?? {}));
    for (const [type, blocks] of Object.entries(config.provider ?? {})) {
      for (const block of Array.isArray(blocks) ? blocks : [blocks]) {
        this.providers.add(block && typeof block.alias === 'string' ? `${type}.${block.alias}` : type);
      }
    }
  }

  /** Checks one traversal (its first parts); returns the problem, or undefined when it names something declared. */
  check(parts: readonly string[]): string | undefined {
    const [root, a, b] = parts;
    switch (root) {
      case 'var': return a !== undefined && this.variables.has(a) ? undefined : `undeclared variable var.${a}`;
      case 'local': return a !== undefined && this.locals.has(a) ? undefined : `undeclared local local.${a}`;
      case 'module': return a !== undefined && this.modules.has(a) ? undefined : `undeclared module module.${a}`;
      case 'ephemeral': return this.ephemeral.has(`${a}.${b}`) ? undefined : `undeclared ephemeral resource ephemeral.${a}.${b}`;
      case 'data': return this.data.has(`${a}.${b}`) || this.otherStacks.has(`data.${a}.${b}`) ? undefined : `undeclared data source data.${a}.${b}`;
      default:
        if (BUILTIN_ROOTS.has(root)) return undefined;
        return a !== undefined && (this.resources.has(`${root}.${a}`) || this.otherStacks.has(`${root}.${a}`))
          ? undefined : `undeclared resource ${parts.slice(0, 2).join('.')}`;
    }
  }
}

/** `body` without the keys the walk must not read as expressions (meta-arguments checked on their own). */
function without(body: unknown, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries((body ?? {}) as Record<string, unknown>).filter(([k]) => !keys.includes(k)));
}

/** A problem found, with the JSON path where it was found. */
export interface ConfigProblem {
  readonly at: string;
  readonly message: string;
}

/** Lexes an HCL expression into identifiers (with what precedes/follows), recursing into string templates. */
function scanExpression(expr: string, onTraversal: (parts: string[]) => void, bound: Set<string>): void {
  const tokens: string[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === '"') {
      // A quoted template: scan nested interpolations, skip the text.
      let j = i + 1;
      let text = '';
      while (j < expr.length && expr[j] !== '"') {
        if (expr[j] === '\\') { text += expr.slice(j, j + 2); j += 2; continue; }
        text += expr[j];
        j++;
      }
      scanTemplate(text, onTraversal, bound);
      tokens.push('"str"');
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < expr.length && /[A-Za-z0-9_-]/.test(expr[j])) j++;
      tokens.push(expr.slice(i, j));
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < expr.length && /[0-9.eE]/.test(expr[j])) j++;
      tokens.push('0');
      i = j;
      continue;
    }
    if (expr.startsWith('::', i)) { tokens.push('::'); i += 2; continue; }
    tokens.push(c);
    i++;
  }
  // For-expression symbols are bound for the whole expression (a small over-approximation).
  for (let t = 0; t < tokens.length; t++) {
    if (tokens[t] !== 'for') continue;
    for (let u = t + 1; u < tokens.length && tokens[u] !== 'in'; u++) if (/^[A-Za-z_]/.test(tokens[u])) bound.add(tokens[u]);
  }
  for (let t = 0; t < tokens.length; t++) {
    const tok = tokens[t];
    if (!/^[A-Za-z_]/.test(tok) || KEYWORDS.has(tok) || bound.has(tok)) continue;
    const prev = tokens[t - 1];
    if (prev === '.' || prev === '::') continue; // an attribute, or a provider function's namespace part
    const next = tokens[t + 1];
    if (next === '(' || next === '::') continue; // a function call (or provider::ns::fn)
    if (next === '=' && tokens[t + 2] !== '=') continue; // an object key: { key = value }
    if (next === ':' && prev !== '?') continue; // an object key in the `key: value` form, not a conditional's arm
    const parts = [tok];
    let u = t + 1;
    while (tokens[u] === '.' && tokens[u + 1] !== undefined && /^[A-Za-z_*]/.test(tokens[u + 1])) {
      parts.push(tokens[u + 1]);
      u += 2;
    }
    onTraversal(parts);
  }
}

/** Scans a template string (JSON string values are templates): `${expr}` and `%{directive}`, honoring `$${` and `%%{`. */
function scanTemplate(text: string, onTraversal: (parts: string[]) => void, bound: Set<string> = new Set()): void {
  let i = 0;
  while (i < text.length) {
    if ((text.startsWith('$${', i) || text.startsWith('%%{', i))) { i += 3; continue; }
    if (text.startsWith('${', i) || text.startsWith('%{', i)) {
      const end = matchingBrace(text, i + 1);
      let inner = text.slice(i + 2, end).trim();
      inner = inner.replace(/^~/, '').replace(/~$/, '');
      scanExpression(inner, onTraversal, bound);
      i = end + 1;
      continue;
    }
    i++;
  }
}

/** The index of the `}` closing the `{` at `open`, skipping braces inside quoted strings. */
function matchingBrace(text: string, open: number): number {
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return text.length;
}

/** The traversals referenced by a template string (exported for tests). */
export function referencesIn(template: string): string[][] {
  const found: string[][] = [];
  scanTemplate(template, (parts) => found.push(parts));
  return found;
}

const BARE_ADDRESS = /^(data\.)?[A-Za-z_][A-Za-z0-9_-]*\.[A-Za-z_][A-Za-z0-9_-]*$|^module\.[A-Za-z_][A-Za-z0-9_-]*$/;

export interface CheckOptions {
  /**
   * Addresses declared in the app's other stacks, accepted as references: only for a stack rendered alone by
   * `Testing.synth`, where cdktf has not yet turned cross-stack references into `terraform_remote_state` reads.
   * @default none
   */
  readonly otherStacks?: readonly string[];
}

/** Every problem in one synthesized stack (empty when the configuration is consistent). */
export function checkTerraformConfig(config: TerraformConfig, options: CheckOptions = {}): ConfigProblem[] {
  const declared = new Declared(config, new Set(options.otherStacks ?? []));
  const problems: ConfigProblem[] = [];

  const walk = (value: unknown, at: string, bound: Set<string>): void => {
    if (typeof value === 'string') {
      scanTemplate(value, (parts) => {
        const problem = declared.check(parts);
        if (problem) problems.push({ at, message: `${problem} in "${value.length > 200 ? `${value.slice(0, 200)}...` : value}"` });
      }, new Set(bound));
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, `${at}[${i}]`, bound));
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (k === 'dynamic' && v && typeof v === 'object') {
          // dynamic "label" { for_each, iterator?, content }: the iterator (default: the label) is bound in content.
          for (const [label, block] of Object.entries(v as Record<string, Record<string, unknown>>)) {
            const iterator = typeof block.iterator === 'string' ? block.iterator : label;
            for (const [bk, bv] of Object.entries(block)) {
              if (bk === 'iterator') continue;
              walk(bv, `${at}.dynamic.${label}.${bk}`, bk === 'content' ? new Set([...bound, iterator]) : bound);
            }
          }
          continue;
        }
        walk(v, `${at}.${k}`, bound);
      }
    }
  };

  const checkMeta = (body: Record<string, unknown>, at: string): void => {
    const dependsOn = body.depends_on;
    if (dependsOn !== undefined) {
      if (!Array.isArray(dependsOn)) problems.push({ at: `${at}.depends_on`, message: 'depends_on must be a list' });
      else dependsOn.forEach((d, i) => checkAddress(d, `${at}.depends_on[${i}]`));
    }
    const provider = body.provider;
    if (provider !== undefined) {
      if (typeof provider !== 'string' || provider.includes('${')) {
        problems.push({ at: `${at}.provider`, message: `provider must be a bare "type" or "type.alias", got ${JSON.stringify(provider)}` });
      } else if (provider.includes('.') && !declared.providers.has(provider)) {
        problems.push({ at: `${at}.provider`, message: `undeclared provider configuration ${provider}` });
      }
    }
    const lifecycle = body.lifecycle as Record<string, unknown> | undefined;
    if (lifecycle) {
      const ignore = lifecycle.ignore_changes;
      if (ignore !== undefined && ignore !== 'all') {
        if (!Array.isArray(ignore)) problems.push({ at: `${at}.lifecycle.ignore_changes`, message: 'ignore_changes must be a list or "all"' });
        else ignore.forEach((p, i) => {
          if (typeof p !== 'string' || p.includes('${') || !/^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*|\[[^\]]+\])*$/.test(p)) {
            problems.push({ at: `${at}.lifecycle.ignore_changes[${i}]`, message: `not a bare attribute path: ${JSON.stringify(p)}` });
          }
        });
      }
      const triggers = lifecycle.replace_triggered_by;
      if (Array.isArray(triggers)) triggers.forEach((t, i) => checkAddress(t, `${at}.lifecycle.replace_triggered_by[${i}]`, true));
    }
  };

  const checkAddress = (d: unknown, at: string, attributesAllowed = false): void => {
    if (typeof d !== 'string' || d.includes('${')) {
      problems.push({ at, message: `must be a bare address such as helm_release.x (no "\${...}"), got ${JSON.stringify(d)}` });
      return;
    }
    const address = attributesAllowed ? d.split('.').slice(0, d.startsWith('data.') ? 3 : 2).join('.') : d;
    if (!BARE_ADDRESS.test(address)) {
      problems.push({ at, message: `not a resource, data source or module address: ${JSON.stringify(d)}` });
      return;
    }
    const problem = declared.check(address.split('.'));
    if (problem) problems.push({ at, message: problem });
  };

  for (const kind of ['resource', 'data', 'ephemeral'] as const) {
    for (const [type, byName] of Object.entries(config[kind] ?? {})) {
      for (const [name, body] of Object.entries(byName)) {
        const at = `${kind === 'resource' ? '' : `${kind}.`}${type}.${name}`;
        checkMeta(body, at);
        walk(without(body, ['depends_on', 'provider', 'lifecycle']), at, new Set());
        walk(without(body.lifecycle, ['ignore_changes', 'replace_triggered_by']), `${at}.lifecycle`, new Set());
      }
    }
  }
  for (const [name, body] of Object.entries(config.output ?? {})) {
    checkMeta(body as Record<string, unknown>, `output.${name}`);
    walk(without(body, ['depends_on']), `output.${name}`, new Set());
  }
  walk(config.locals ?? {}, 'locals', new Set());
  for (const [name, body] of Object.entries(config.module ?? {})) {
    checkMeta(body as Record<string, unknown>, `module.${name}`);
    walk(without(body, ['depends_on', 'providers']), `module.${name}`, new Set());
  }
  for (const [type, blocks] of Object.entries(config.provider ?? {})) {
    walk(blocks, `provider.${type}`, new Set());
  }
  return problems;
}
