// The one-core guard. An app can load two copies of the CDK for Terraform core: `cdktf` and `cdktn` side by
// side (a stack file importing 'cdktn' while this library gets the `cdktf` alias), two installed versions of
// `cdktf`, or a provider package with its own nested copy. Each copy keeps its Aspects under its own Symbol and
// has its own internals, so constructs of one copy in a stack of another are silently skipped (our Aspects never
// run: depends_on entries vanish) or crash the synth (`..._resetResolveDiscoveredProviderFeatureUsage is not a
// function` for cdktn 0.24 + cdktf 0.21). So where this library meets the core (a stack it builds into, a
// provider it adds, an Aspect it registers) it checks that the core classes are its own, and fails otherwise.
import * as core from 'cdktf';
import { IConstruct } from 'constructs';
import { CoreCopy, describeCopy, DuplicateCoreError, packageOf } from './core-copies';

/** jsii stamps each class with `{ fqn, version }` under this symbol (e.g. `cdktf.TerraformStack`, `0.21.0`). */
const JSII_RTTI = Symbol.for('jsii.rtti');
const CORE_FQN = /^(cdktf|cdktn)\.(\w+)$/;

interface CoreClass {
  /** The class itself (e.g. that copy's `TerraformStack`). */
  readonly cls: object;
  /** Its export name in the core (`TerraformStack`). */
  readonly name: string;
  /** The core version stamped on it. */
  readonly version: string;
}

function rtti(cls: unknown): { fqn?: string; version?: string } | undefined {
  if (typeof cls !== 'function' || !Object.prototype.hasOwnProperty.call(cls, JSII_RTTI)) return undefined;
  return (cls as unknown as Record<symbol, { fqn?: string; version?: string }>)[JSII_RTTI];
}

/** The nearest core class an object is made from (a user's stack -> TerraformStack, AwsProvider -> TerraformProvider). */
function coreClassOf(obj: object): CoreClass | undefined {
  for (let cls = obj.constructor as unknown; typeof cls === 'function' && cls !== Object; cls = Object.getPrototypeOf(cls)) {
    const stamp = rtti(cls);
    const m = stamp?.fqn ? CORE_FQN.exec(stamp.fqn) : null;
    if (m) return { cls: cls as object, name: m[2], version: stamp?.version ?? 'unknown version' };
  }
  return undefined;
}

/** Where a core class was loaded from: the module whose exports hold it (not findable inside a bundle). */
function describe(user: string, cls: object, name: string, version: string): CoreCopy {
  const cache = require.cache as Record<string, NodeJS.Module | undefined>;
  for (const mod of Object.values(cache)) {
    if (!mod?.filename || (mod.exports as Record<string, unknown> | undefined)?.[name] !== cls) continue;
    const pkg = packageOf(mod.filename);
    if (pkg) return describeCopy(user, pkg);
  }
  return { user, folder: '(folder unknown: bundled, or not loaded through require)', release: `core ${version}` };
}

/** Throws DuplicateCoreError when `obj` is made from a copy of the core other than this library's. */
function checkObject(obj: object, user: string): void {
  const found = coreClassOf(obj);
  if (!found) return; // not a core object (or not jsii-stamped): nothing to compare
  const own = (core as unknown as Record<string, unknown>)[found.name];
  if (own === found.cls || typeof own !== 'function') return;
  const ownVersion = rtti(own)?.version ?? 'unknown version';
  throw new DuplicateCoreError(`${user} comes from the other one`, [
    describe(user, found.cls, found.name, found.version),
    describe('cdktf-ai-infra', own, found.name, ownVersion),
  ]);
}

/**
 * Checks that `scope`, the stack it is in and the app at the root are all made from this library's copy of the
 * core (`cdktf`, or `cdktn` through the alias). Cheap (a prototype walk); call it where the library meets the
 * core: before registering an Aspect, when adding or reusing a provider.
 */
export function assertOneCore(scope: IConstruct): void {
  const scopes = scope.node.scopes;
  // TerraformStack.isStack reads a Symbol.for marker, so it finds stacks of every copy.
  const stack = [...scopes].reverse().find((c) => core.TerraformStack.isStack(c));
  if (stack) checkObject(stack, `stack "${stack.node.path}"`);
  if (core.App.isApp(scopes[0])) checkObject(scopes[0], 'the App');
  if (scope !== stack && scope !== scopes[0]) checkObject(scope, `"${scope.node.path}"`);
}
