// Validates Kubernetes objects against the Kubernetes OpenAPI schemas with the kubernetes-models packages
// (ESM only, hence not loaded by jest itself), the prometheus-operator models for
// ServiceMonitor/PodMonitor/PrometheusRule, and built-in schemas for the Kueue CRDs (v1beta1) and GKE's
// ComputeClass. Input: `[objects]`, or `{ objects, strict }`; output: a JSON array of
// { index, kind, name, errors } for every invalid object.
// Two ways to run it:
// - a worker thread (validate.ts): one per jest process, answering requests synchronously through a
//   SharedArrayBuffer, so the models and TypeScript load once for all test files instead of once per call;
// - a script: JSON on stdin, the result on stdout (`node test/k8s/validate-worker.mjs < objects.json`).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

const require = createRequire(import.meta.url);

const CORE_GROUPS = new Set([
  'v1', 'apps/v1', 'batch/v1', 'autoscaling/v2', 'autoscaling/v1', 'policy/v1', 'networking.k8s.io/v1',
  'rbac.authorization.k8s.io/v1', 'scheduling.k8s.io/v1', 'storage.k8s.io/v1', 'coordination.k8s.io/v1',
  'discovery.k8s.io/v1', 'node.k8s.io/v1', 'admissionregistration.k8s.io/v1', 'apiextensions.k8s.io/v1',
  'certificates.k8s.io/v1', 'events.k8s.io/v1', 'flowcontrol.apiserver.k8s.io/v1',
]);

const moduleCache = new Map();
async function modelFor(apiVersion, kind) {
  let spec;
  if (CORE_GROUPS.has(apiVersion)) spec = `kubernetes-models/${apiVersion}`;
  else if (apiVersion.startsWith('monitoring.coreos.com/')) spec = `@kubernetes-models/prometheus-operator/${apiVersion}`;
  else return undefined;
  if (!moduleCache.has(spec)) moduleCache.set(spec, await import(spec));
  return moduleCache.get(spec)[kind];
}

// ---- Kueue v1beta1 (kueue.x-k8s.io): the fields we render, with their types ----
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isQuantity = (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0)
  || (typeof v === 'string' && /^([+]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/.test(v));
const isName = (v) => typeof v === 'string' && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(v) && v.length <= 253;

function only(obj, allowed, at, errors) {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) errors.push(`${at}/${k}: unknown field`);
}

const KUEUE = {
  ResourceFlavor(spec, errors) {
    if (spec === undefined) return;
    if (!isObj(spec)) return errors.push('/spec must be object');
    only(spec, ['nodeLabels', 'nodeTaints', 'tolerations', 'topologyName'], '/spec', errors);
    if (spec.nodeLabels !== undefined) {
      if (!isObj(spec.nodeLabels)) errors.push('/spec/nodeLabels must be object');
      else for (const [k, v] of Object.entries(spec.nodeLabels)) if (typeof v !== 'string') errors.push(`/spec/nodeLabels/${k} must be string`);
    }
    for (const key of ['nodeTaints', 'tolerations']) {
      if (spec[key] === undefined) continue;
      if (!Array.isArray(spec[key])) { errors.push(`/spec/${key} must be array`); continue; }
      spec[key].forEach((t, i) => {
        if (!isObj(t)) return errors.push(`/spec/${key}/${i} must be object`);
        if (key === 'nodeTaints' && (typeof t.key !== 'string' || !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect))) {
          errors.push(`/spec/nodeTaints/${i} needs key and effect NoSchedule|PreferNoSchedule|NoExecute`);
        }
      });
    }
  },
  ClusterQueue(spec, errors) {
    if (!isObj(spec)) return errors.push('/spec must be object');
    only(spec, ['namespaceSelector', 'cohort', 'queueingStrategy', 'resourceGroups', 'preemption', 'flavorFungibility', 'stopPolicy', 'fairSharing', 'admissionChecks'], '/spec', errors);
    if (spec.queueingStrategy !== undefined && !['StrictFIFO', 'BestEffortFIFO'].includes(spec.queueingStrategy)) errors.push('/spec/queueingStrategy must be StrictFIFO or BestEffortFIFO');
    if (spec.namespaceSelector !== undefined && !isObj(spec.namespaceSelector)) errors.push('/spec/namespaceSelector must be object');
    if (spec.cohort !== undefined && !isName(spec.cohort)) errors.push('/spec/cohort must be a DNS subdomain');
    if (!Array.isArray(spec.resourceGroups) || spec.resourceGroups.length > 16) return errors.push('/spec/resourceGroups must be an array of at most 16');
    spec.resourceGroups.forEach((g, gi) => {
      const at = `/spec/resourceGroups/${gi}`;
      if (!isObj(g)) return errors.push(`${at} must be object`);
      only(g, ['coveredResources', 'flavors'], at, errors);
      if (!Array.isArray(g.coveredResources) || g.coveredResources.length === 0 || g.coveredResources.some((r) => typeof r !== 'string')) errors.push(`${at}/coveredResources must be a non-empty string array`);
      if (!Array.isArray(g.flavors) || g.flavors.length === 0) return errors.push(`${at}/flavors must be a non-empty array`);
      g.flavors.forEach((f, fi) => {
        const fat = `${at}/flavors/${fi}`;
        if (!isObj(f) || !isName(f.name)) return errors.push(`${fat}/name must be a DNS subdomain`);
        only(f, ['name', 'resources'], fat, errors);
        if (!Array.isArray(f.resources)) return errors.push(`${fat}/resources must be array`);
        const names = f.resources.map((r) => r?.name);
        if (JSON.stringify(names) !== JSON.stringify(g.coveredResources)) errors.push(`${fat}/resources must list coveredResources in order`);
        f.resources.forEach((r, ri) => {
          const rat = `${fat}/resources/${ri}`;
          if (!isObj(r)) return errors.push(`${rat} must be object`);
          only(r, ['name', 'nominalQuota', 'borrowingLimit', 'lendingLimit'], rat, errors);
          if (!isQuantity(r.nominalQuota)) errors.push(`${rat}/nominalQuota must be a quantity`);
          for (const k of ['borrowingLimit', 'lendingLimit']) if (r[k] !== undefined && !isQuantity(r[k])) errors.push(`${rat}/${k} must be a quantity`);
        });
      });
    });
    if (spec.preemption !== undefined) {
      const p = spec.preemption;
      const policies = ['Never', 'LowerPriority', 'LowerOrNewerEqualPriority', 'Any'];
      if (!isObj(p)) errors.push('/spec/preemption must be object');
      else {
        if (p.withinClusterQueue !== undefined && !policies.includes(p.withinClusterQueue)) errors.push('/spec/preemption/withinClusterQueue invalid');
        if (p.reclaimWithinCohort !== undefined && !policies.includes(p.reclaimWithinCohort)) errors.push('/spec/preemption/reclaimWithinCohort invalid');
      }
    }
  },
  LocalQueue(spec, errors) {
    if (!isObj(spec)) return errors.push('/spec must be object');
    only(spec, ['clusterQueue', 'stopPolicy', 'fairSharing'], '/spec', errors);
    if (!isName(spec.clusterQueue)) errors.push('/spec/clusterQueue must be a DNS subdomain');
  },
};

// ---- GKE ComputeClass (cloud.google.com/v1): the fields node pools with a capacity ladder use ----
function computeClass(obj, errors) {
  const spec = obj.spec;
  if (!isObj(obj.metadata) || !isName(obj.metadata.name)) errors.push('/metadata/name must be a DNS subdomain');
  if (!isObj(spec)) return errors.push('/spec must be object');
  only(spec, ['priorities', 'priorityDefaults', 'nodePoolAutoCreation', 'whenUnsatisfiable', 'activeMigration', 'autoscalingPolicy', 'nodePoolConfig', 'description'], '/spec', errors);
  if (!Array.isArray(spec.priorities) || spec.priorities.length === 0) errors.push('/spec/priorities must be a non-empty array');
  else spec.priorities.forEach((p, i) => {
    const at = `/spec/priorities/${i}`;
    if (!isObj(p)) return errors.push(`${at} must be object`);
    only(p, ['nodepools', 'machineFamily', 'machineType', 'spot', 'gpu', 'tpu', 'reservations', 'minCores', 'minMemoryGb', 'storage', 'podFamily', 'location', 'flexStart', 'maxPodsPerNode'], at, errors);
    if (p.nodepools !== undefined && (!Array.isArray(p.nodepools) || p.nodepools.some((n) => !isName(n)))) errors.push(`${at}/nodepools must be node pool names`);
    if (p.spot !== undefined && typeof p.spot !== 'boolean') errors.push(`${at}/spot must be boolean`);
  });
  if (spec.whenUnsatisfiable !== undefined && !['ScaleUpAnyway', 'DoNotScaleUp'].includes(spec.whenUnsatisfiable)) errors.push('/spec/whenUnsatisfiable must be ScaleUpAnyway or DoNotScaleUp');
  if (spec.nodePoolAutoCreation !== undefined && (!isObj(spec.nodePoolAutoCreation) || typeof spec.nodePoolAutoCreation.enabled !== 'boolean')) errors.push('/spec/nodePoolAutoCreation/enabled must be boolean');
}

// ---- strict mode: unknown fields, from the TypeScript types kubernetes-models ships (its validators allow them) ----
function modelTypeFile(apiVersion, kind) {
  let base;
  if (CORE_GROUPS.has(apiVersion)) base = dirname(require.resolve('kubernetes-models/package.json'));
  else if (apiVersion.startsWith('monitoring.coreos.com/')) base = dirname(require.resolve('@kubernetes-models/prometheus-operator/package.json'));
  else return undefined;
  const file = join(base, apiVersion, `${kind}.d.ts`);
  return existsSync(file) ? file : undefined;
}

// One TypeScript program over every model type file asked for so far (a new request for another kind extends
// it, reusing the parsed files); the checker walks one object's fields against its model interface.
const strict = { ts: undefined, roots: new Set(), program: undefined, checker: undefined };
async function strictCheckerFor(objects) {
  const ts = strict.ts ??= (await import('typescript')).default;
  const wanted = objects.filter((o) => typeof o?.apiVersion === 'string' && typeof o.kind === 'string')
    .map((o) => modelTypeFile(o.apiVersion, o.kind)).filter(Boolean);
  if (!strict.program || wanted.some((f) => !strict.roots.has(f))) {
    for (const f of wanted) strict.roots.add(f);
    strict.program = ts.createProgram([...strict.roots].sort(), {
      noEmit: true, skipLibCheck: true, types: [], module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    }, undefined, strict.program);
    strict.checker = strict.program.getTypeChecker();
  }
  const { program, checker } = strict;
  const objectMembers = (type) => {
    const t = checker.getNonNullableType(type);
    if (t.isUnion()) {
      const objs = t.types.filter((m) => m.flags & ts.TypeFlags.Object);
      return objs.length === 1 ? objs[0] : undefined;
    }
    return t.flags & ts.TypeFlags.Object ? t : undefined;
  };
  const walk = (value, type, path, errors) => {
    if (value === null || typeof value !== 'object') return;
    const t = objectMembers(type);
    if (!t) return;
    if (Array.isArray(value)) {
      const [elem] = checker.getTypeArguments(t) ?? [];
      if (elem) value.forEach((v, i) => walk(v, elem, `${path}/${i}`, errors));
      return;
    }
    if (t.getStringIndexType()) return; // a map: any keys
    const props = checker.getPropertiesOfType(t);
    if (props.length === 0) return;
    for (const [k, v] of Object.entries(value)) {
      const p = t.getProperty(k);
      if (!p) errors.push(`${path}/${k}: unknown field`);
      else walk(v, checker.getTypeOfSymbol(p), `${path}/${k}`, errors);
    }
  };
  return (obj) => {
    const file = modelTypeFile(obj.apiVersion, obj.kind);
    if (!file) return [];
    const sf = program.getSourceFile(file);
    const sym = sf && checker.getSymbolAtLocation(sf)?.exports?.get(`I${obj.kind}`);
    if (!sym) return [];
    const errors = [];
    walk(obj, checker.getDeclaredTypeOfSymbol(sym), '', errors);
    return errors;
  };
}

/** Validates `raw` (`[objects]` or `{ objects, strict }`); resolves to the problems, one entry per invalid object. */
export async function validate(raw) {
  const input = Array.isArray(raw) ? raw : raw.objects;
  // strict also reports fields the Kubernetes types do not have.
  const strictChecker = !Array.isArray(raw) && raw.strict === true ? await strictCheckerFor(input) : undefined;
  const errorsOut = [];
  for (let index = 0; index < input.length; index++) {
    const obj = input[index];
    const kind = obj?.kind;
    const name = obj?.metadata?.name;
    const errors = [];
    if (typeof obj?.apiVersion !== 'string' || typeof kind !== 'string') {
      errors.push('apiVersion and kind are required');
    } else if (obj.apiVersion === 'cloud.google.com/v1' && kind === 'ComputeClass') {
      only(obj, ['apiVersion', 'kind', 'metadata', 'spec'], '', errors);
      computeClass(obj, errors);
    } else if (obj.apiVersion.startsWith('kueue.x-k8s.io/')) {
      if (obj.apiVersion !== 'kueue.x-k8s.io/v1beta1' || !KUEUE[kind]) errors.push(`unknown Kueue kind ${obj.apiVersion} ${kind}`);
      else {
        if (!isObj(obj.metadata) || !isName(obj.metadata.name)) errors.push('/metadata/name must be a DNS subdomain');
        only(obj, ['apiVersion', 'kind', 'metadata', 'spec'], '', errors);
        KUEUE[kind](obj.spec, errors);
      }
    } else {
      const Model = await modelFor(obj.apiVersion, kind);
      if (!Model) errors.push(`no schema for ${obj.apiVersion} ${kind}`);
      else {
        try {
          new Model(obj).validate();
        } catch (e) {
          const details = e.errors ?? e.details;
          if (Array.isArray(details)) for (const d of details) errors.push(`${d.instancePath || '/'} ${d.message}${d.params ? ` ${JSON.stringify(d.params)}` : ''}`);
          else errors.push(String(e.message ?? e));
        }
        if (strictChecker) errors.push(...strictChecker(obj));
      }
    }
    if (errors.length) errorsOut.push({ index, kind, name, errors });
  }
  return errorsOut;
}

if (!isMainThread && workerData?.kind === 'k8s-validate') {
  // Requests { id, json } come in one at a time; the reply { id, result } or { id, error } goes to the reply
  // port, then the flag wakes the caller blocked in Atomics.wait.
  const { replies, flag } = workerData;
  parentPort.on('message', async ({ id, json }) => {
    let reply;
    try {
      reply = { id, result: JSON.stringify(await validate(JSON.parse(json))) };
    } catch (e) {
      reply = { id, error: String(e?.stack ?? e) };
    }
    replies.postMessage(reply);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  });
} else if (isMainThread && process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(JSON.stringify(await validate(JSON.parse(readFileSync(0, 'utf8')))));
}
