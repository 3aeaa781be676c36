// One query helper over a synthesized stack for every construct test, in the style of aws-cdk's `Template`:
// Terraform blocks by type (resources, data sources, helm releases), counts and deep-partial property matches,
// and the Kubernetes objects our charts deliver (rendered from the stack's KubernetesWorkloads, as the Helm
// chart assets hold them). Per-area helpers build fixtures; they query through this.
import { Testing, TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';
import { findObject, findObjects, K8sObject, manifestsOf } from './k8s/validate';

/** Synthesized Terraform JSON: free-form by nature. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export type BlockKind = 'resource' | 'data' | 'ephemeral';

function idMatches(id: string, idPart: string | RegExp): boolean {
  return typeof idPart === 'string' ? id.includes(idPart) : idPart.test(id);
}

/** Whether `actual` has every property of `expected`, deeply (jest's toMatchObject: arrays match whole). */
function matchesPartially(actual: Json, expected: Json): boolean {
  try {
    expect(actual).toMatchObject(expected);
    return true;
  } catch {
    return false;
  }
}

export class SynthQuery {
  /** Synthesizes `stack`; its KubernetesWorkloads answer `k8sObjects`. */
  public static fromStack(stack: TerraformStack): SynthQuery {
    return new SynthQuery(JSON.parse(Testing.synth(stack)), stack);
  }

  /** Queries JSON synthesized elsewhere; `scope` (a stack or app) for `k8sObjects`. */
  public static fromJson(json: Json, scope?: IConstruct): SynthQuery {
    return new SynthQuery(json, scope);
  }

  private constructor(public readonly json: Json, private readonly scope?: IConstruct) {}

  /** The blocks of one type (`resource`, `data` or `ephemeral`), by logical id. */
  public byId(type: string, block: BlockKind = 'resource'): Record<string, Json> {
    return this.json[block]?.[type] ?? {};
  }

  /** The resources of a type, optionally only those whose logical id contains (or matches) `idPart`. */
  public resources(type: string, idPart: string | RegExp = ''): Json[] {
    return Object.entries(this.byId(type)).filter(([id]) => idMatches(id, idPart)).map(([, v]) => v);
  }

  /** The data sources of a type. */
  public dataSources(type: string, idPart: string | RegExp = ''): Json[] {
    return Object.entries(this.byId(type, 'data')).filter(([id]) => idMatches(id, idPart)).map(([, v]) => v);
  }

  /** The one resource of a type whose logical id contains (or matches) `idPart`; throws unless exactly one. */
  public resource(type: string, idPart: string | RegExp): Json {
    const ids = Object.keys(this.byId(type));
    const found = ids.filter((id) => idMatches(id, idPart));
    if (found.length !== 1) throw new Error(`${type} matching ${idPart}: ${found.length} found (${ids.join(', ')})`);
    return this.byId(type)[found[0]];
  }

  /** The one `helm_release` whose release `name` is `name`. */
  public helmRelease(name: string): Json {
    const found = this.resources('helm_release').filter((r) => r.name === name);
    if (found.length !== 1) throw new Error(`helm_release ${name}: ${found.length} found`);
    return found[0];
  }

  /** Asserts the number of resources of a type. */
  public resourceCountIs(type: string, count: number): void {
    const n = this.resources(type).length;
    if (n !== count) throw new Error(`expected ${count} ${type}, found ${n}`);
  }

  /** The resources of a type that have every property of `props` (deep partial match). */
  public findResources(type: string, props: Json): Json[] {
    return this.resources(type).filter((r) => matchesPartially(r, props));
  }

  /** Asserts that some resource of a type has every property of `props` (deep partial match). */
  public hasResourceProperties(type: string, props: Json): void {
    const all = this.resources(type);
    if (all.length === 0) throw new Error(`no ${type} in the stack`);
    if (this.findResources(type, props).length === 0) {
      throw new Error(`no ${type} has ${JSON.stringify(props)}; the ${all.length} there:\n${all.map((r) => JSON.stringify(r)).join('\n')}`);
    }
  }

  /**
   * The Kubernetes objects the stack's KubernetesWorkloads deliver (in chart order), optionally of one kind
   * and name. Needs a scope (`fromStack`, or `fromJson` with one).
   */
  public k8sObjects(kind?: string, name?: string): K8sObject[] {
    if (!this.scope) throw new Error('k8sObjects needs the synthesized scope: use SynthQuery.fromStack, or fromJson(json, scope)');
    const objects = manifestsOf(this.scope);
    const ofKind = kind === undefined ? objects : findObjects(objects, kind);
    return name === undefined ? ofKind : ofKind.filter((o) => o.metadata?.name === name);
  }

  /** The one Kubernetes object of `kind` (and `name`); throws unless exactly one. */
  public k8sObject(kind: string, name?: string): K8sObject {
    return findObject(this.k8sObjects(), kind, name);
  }

  /**
   * The blocks below construct path `prefix` (`_`-joined), by type (`data.<type>` for data sources,
   * `ephemeral.<type>` for ephemeral resources), as construct ids without cdktf's hash suffix.
   */
  public blocksById(prefix: string): Record<string, string[]> {
    const by: Record<string, string[]> = {};
    for (const [label, block] of [['', 'resource'], ['data.', 'data'], ['ephemeral.', 'ephemeral']] as const) {
      for (const [type, entries] of Object.entries((this.json[block] ?? {}) as Record<string, Json>)) {
        const ids = Object.keys(entries).filter((id) => id.startsWith(prefix)).map((id) => id.slice(prefix.length).replace(/_[A-F0-9]{8}$/, ''));
        if (ids.length) by[`${label}${type}`] = ids.sort();
      }
    }
    return by;
  }
}

// For tests that hold synthesized JSON rather than a query (the per-area helpers re-export these).

/** All blocks of one type (resources, or data sources with `block: 'data'`), as a list. */
export function allOf(json: Json, type: string, block: BlockKind = 'resource'): Json[] {
  return Object.values(SynthQuery.fromJson(json).byId(type, block));
}

/** The one resource of a type whose logical id contains (or matches) `idPart`. */
export function oneOf(json: Json, type: string, idPart: string | RegExp): Json {
  return SynthQuery.fromJson(json).resource(type, idPart);
}
