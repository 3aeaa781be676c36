// Flagger's own CRDs (Canary, MetricTemplate; flagger.app/v1beta1) from its Go module, as the offline schema for the
// objects an endpoint with progressive delivery renders: the openAPIV3Schema with unknown fields rejected where
// the API server would prune them (a typo there is a field Flagger never sees).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';

/** The version served as a Go module here (the deployed chart is newer; the fields used exist in both). */
export const FLAGGER_MODULE = 'github.com/fluxcd/flagger@v1.36.1';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Schema = Record<string, any>;

let crds: Map<string, Schema> | undefined;
const compiled = new Map<string, ValidateFunction>();

/** `artifacts/flagger/crd.yaml` of the module (downloaded into the Go module cache on first use). */
export function flaggerCrdFile(): string {
  const r = spawnSync('go', ['mod', 'download', '-json', FLAGGER_MODULE], { encoding: 'utf8', env: { ...process.env, GOFLAGS: '-mod=mod' } });
  if (r.status !== 0) throw new Error(`go mod download ${FLAGGER_MODULE} failed: ${r.stderr}`);
  return path.join(JSON.parse(r.stdout).Dir as string, 'artifacts/flagger/crd.yaml');
}

/**
 * The CRD documents of the module, by kind. (Some descriptions are plain scalars with ": " that Go's YAML reader
 * accepts and a strict one splits into stray keys; they only ever land beside `description`, which ajv ignores.)
 */
export function flaggerCrds(): Map<string, Schema> {
  if (crds) return crds;
  const docs = parseAllDocuments(fs.readFileSync(flaggerCrdFile(), 'utf8')).map((d) => d.toJSON()).filter(Boolean);
  crds = new Map(docs.filter((d: Schema) => d.kind === 'CustomResourceDefinition').map((d: Schema) => [d.spec.names.kind as string, d]));
  return crds;
}

/** Kubernetes prunes fields a structural schema does not name: make them errors instead. */
function closed(s: Schema): Schema {
  if (typeof s !== 'object' || s === null) return s;
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k.startsWith('x-kubernetes-')) continue;
    if (k === 'properties') out.properties = Object.fromEntries(Object.entries(v as Schema).map(([p, ps]) => [p, closed(ps as Schema)]));
    else if (k === 'items' || (k === 'additionalProperties' && typeof v === 'object')) out[k] = closed(v as Schema);
    else if (k === 'oneOf' || k === 'anyOf' || k === 'allOf') out[k] = (v as Schema[]).map(closed);
    else out[k] = v;
  }
  if (s.properties && s.additionalProperties === undefined && !s['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false;
  if (s['x-kubernetes-int-or-string']) { delete out.type; out.anyOf = [{ type: 'integer' }, { type: 'string' }]; }
  return out;
}

/** Errors of `obj` against its Flagger CRD (v1beta1); [] when valid. */
export function flaggerSchemaErrors(obj: Schema): string[] {
  const crd = flaggerCrds().get(obj.kind);
  if (!crd) return [`no Flagger CRD for kind ${obj.kind}`];
  const version = crd.spec.versions.find((v: Schema) => v.name === 'v1beta1');
  const schema = closed(version.schema.openAPIV3Schema);
  // metadata is the API server's: only the fields set here.
  schema.properties.metadata = { type: 'object' };
  const validate = compiled.get(obj.kind) ?? new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
  compiled.set(obj.kind, validate);
  const where = `${obj.kind}/${obj.metadata?.name}`;
  if (validate(obj)) return [];
  return (validate.errors ?? []).map((e) => `${where}${e.instancePath} ${e.message}${e.params && 'additionalProperty' in e.params ? `: ${e.params.additionalProperty}` : ''}`);
}
