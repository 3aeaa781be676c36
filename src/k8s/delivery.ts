import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Construct, IConstruct } from 'constructs';
import type { ApiObject, ApiObjectProps, Chart } from 'cdk8s';
import {
  App, Aspects, DefaultTokenResolver, dependable, Fn, IAspect, ITerraformDependable, Lazy, StringConcat,
  TerraformResource, TerraformStack, Token, Tokenization,
} from 'cdktf';
import { stringify } from '../core/yaml';
import { IGpuCluster } from '../core/cluster';
import { assertOneCore } from '../core/one-core';
import { DirectoryAsset, writeFiles } from '../core/directory-asset';
import { check, InvalidPropError } from '../core/errors';
import { apiObject, cdk8s } from './cdk8s';
import { checkDnsLabel, constructDnsLabel } from './names';
import { checkStateLocation } from '../core/state-backend';
import { helmRelease, isHelmRelease, type Release } from '../clouds/helm/release';

export interface KubernetesWorkloadProps {
  /** The cluster to deploy to; its `helmProvider` applies the release. */
  readonly cluster: IGpuCluster;
  /** Namespace of the objects that do not name one. It must exist, or be one of the chart's objects. */
  readonly namespace: string;
  /**
   * The namespace Helm stores the release in. Use another namespace (e.g. `kube-system`) when the chart
   * creates `namespace` itself (a tenant).
   * @default - `namespace`
   */
  readonly releaseNamespace?: string;
  /** Helm release name (and chart name): a DNS label of at most 53 characters. @default - derived from the construct path */
  readonly releaseName?: string;
  /** How long Helm waits for the objects to become ready, seconds. @default 600 */
  readonly timeoutSeconds?: number;
  /** Wait for Deployments, Services and PVCs to be ready before the release counts as applied. @default true */
  readonly wait?: boolean;
  /** Wait for Jobs of the release to complete (not for long training runs). @default false */
  readonly waitForJobs?: boolean;
  /**
   * Make the release depend on the cluster's add-on releases (`cluster.addOnDependencies`, or else every
   * `helm_release` under the cluster construct: Kueue, the device plugin... whose CRDs the objects may use)
   * when the cluster is in the same stack.
   * @default true
   */
  readonly dependOnClusterAddons?: boolean;
  /** One line recorded on the Helm release. @default - the construct path */
  readonly description?: string;
}

/** One Terraform value the chart takes from `helm_release.values`. */
export interface ChartPlaceholder {
  /** Key under `.Values.tf` (`v0`, `v1`, ...). */
  readonly key: string;
  /** The value as written in the manifests: a cdktf token (string, number or list). */
  readonly value: unknown;
  /**
   * True for a token inside a longer string (`s3://${bucket}/models`): the template keeps the literal parts
   * (`"s3://{{ .Values.tf.v1 }}/models"`) and Terraform escapes the value for a YAML double-quoted string.
   */
  readonly embedded: boolean;
}

/** A chart as it is written to disk: files (relative path -> content), the values Terraform passes, a content hash. */
export interface RenderedChart {
  /** Chart name (= release name). */
  readonly name: string;
  /** Files by relative path (`Chart.yaml`, `values.yaml`, `templates/...`), sorted. */
  readonly files: Record<string, string>;
  /**
   * The Kubernetes objects with each Terraform value replaced by `__AIINFRA_TF_PLACEHOLDER_<n>__` (a whole
   * field, or the token's part of a longer string, whose literal parts stay: `...__AIINFRA_TF_PLACEHOLDER_1__:tag`).
   */
  readonly objects: Record<string, unknown>[];
  /** Placeholders in order. */
  readonly placeholders: readonly ChartPlaceholder[];
  /** sha256 (hex, 32 chars) of every file: the asset hash. Same objects, same hash, on every machine. */
  readonly hash: string;
}

const MARKER = '__AIINFRA_TF_PLACEHOLDER_';
const MARKER_RE = /__AIINFRA_TF_PLACEHOLDER_(\d+)__/g;
const EMBED = '__AIINFRA_TF_EMBEDDED_';
const EMBED_RE = /__AIINFRA_TF_EMBEDDED_(\d+)__/g;
// HCL string literals (raw: cdktf writes them as given) for escaping a value into a YAML double-quoted string.
const HCL_BACKSLASH = Fn.rawString('\\\\');
const HCL_TWO_BACKSLASHES = Fn.rawString('\\\\\\\\');
const HCL_QUOTE = Fn.rawString('"');
const HCL_ESCAPED_QUOTE = Fn.rawString('\\\\"');
/** A cdktf string token inside a longer string (`${TfToken[TOKEN.12]}`). */
const TOKEN_IN_STRING = /\$\{TfToken\[[^\]]+\]\}/g;
const WORKLOAD_SYMBOL = Symbol.for('cdktf-ai-infra.KubernetesWorkload');

/** Kinds without a namespace: the chart's default namespace is not stamped on them. */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PriorityClass', 'StorageClass',
  'PersistentVolume', 'ClusterQueue', 'ResourceFlavor', 'Cohort', 'WorkloadPriorityClass', 'AdmissionCheck',
  'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'RuntimeClass', 'IngressClass',
  'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
]);

function stripClusterScopedNamespace(obj: Record<string, unknown>): Record<string, unknown> {
  if (!CLUSTER_SCOPED_KINDS.has(String(obj.kind))) return obj;
  const metadata = { ...(obj.metadata as Record<string, unknown>) };
  delete metadata.namespace;
  return { ...obj, metadata };
}

/**
 * `text` with every cdktf token replaced by the Terraform expression it stands for (`${aws_s3_bucket.x.bucket}`):
 * token ids differ between runs, expressions do not. Use it to hash specs that hold Terraform references.
 */
export function stableTokenText(scope: IConstruct, text: string): string {
  const stack = TerraformStack.of(scope);
  return text.replace(/[$#]\{TfToken\[[^\]]+\]\}/g, (token) => {
    try {
      return JSON.stringify(Tokenization.resolve(token, { scope: stack, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) }));
    } catch {
      return 'unresolvable';
    }
  });
}

/** Sorts object keys (recursively) so YAML output never depends on insertion order or env settings. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as Record<string, unknown>).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = canonical(v);
    }
    return out;
  }
  return value;
}

function topLevelOrder(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ['apiVersion', 'kind', 'metadata']) if (key in obj) out[key] = obj[key];
  for (const key of Object.keys(obj)) if (!(key in out)) out[key] = obj[key];
  return out;
}

/** Helm templates are Go templates: literal `{{` / `}}` (e.g. in alert annotations) are escaped. */
function escapeTemplate(text: string): string {
  return text.replace(/\{\{|\}\}/g, (m) => (m === '{{' ? '{{ "{{" }}' : '{{ "}}" }}'));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Kubernetes objects delivered to a cluster as one Helm release, the way every construct of this library
 * deploys workloads (never `kubernetes_manifest`, which fails at plan time without CRDs or a reachable cluster).
 *
 * Add cdk8s objects to `chart` (or with `addObject`). At synth the objects are rendered into a Helm chart
 * directory (`Chart.yaml`, `values.yaml`, `templates/NN-kind-name.yaml`), shipped as a stack asset (`DirectoryAsset`) and
 * applied with `helm_release` (atomic, wait, timeout) through `cluster.helmProvider`. Terraform references
 * (cdktf tokens: a bucket name, a role ARN) may appear in object fields: each becomes
 * `{{ .Values.tf.vN | toJson }}` in the templates and its real value is passed in the release's `values`,
 * so Terraform resolves it. Output is deterministic: same objects, same files and asset hash on every machine.
 *
 * GitOps: the same chart is written to `<outdir>/charts/<stack>/<release>/` (and to the stack's
 * `assets/` folder); point Argo CD or Flux at it and fill the placeholders listed, with the Terraform
 * expression each stands for, in its `values.yaml`.
 *
 * @example
 * const w = new KubernetesWorkload(this, 'Api', { cluster, namespace: 'serving' });
 * new ApiObject(w.chart, 'Sa', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'api' } });
 */
export class KubernetesWorkload extends Construct {
  /** True for a KubernetesWorkload (across copies of this library). */
  public static isKubernetesWorkload(x: unknown): x is KubernetesWorkload {
    return x !== null && typeof x === 'object' && WORKLOAD_SYMBOL in x;
  }

  /** Every KubernetesWorkload under `scope` (a stack, an app): for policy checks over the rendered objects. */
  public static allIn(scope: IConstruct): KubernetesWorkload[] {
    return scope.node.findAll().filter(KubernetesWorkload.isKubernetesWorkload);
  }

  public readonly cluster: IGpuCluster;
  /** Default namespace of the objects. */
  public readonly namespace: string;
  /** Helm release (and chart) name. */
  public readonly releaseName: string;
  /** The cdk8s chart: add `ApiObject`s (or cdk8s-plus constructs) here. */
  public readonly chart: Chart;
  /** The `helm_release` (escape hatch). */
  public readonly release: Release;
  private readonly dependOnAddons: boolean;
  private readonly extraDependencies: ITerraformDependable[] = [];
  private asset?: DirectoryAsset;
  /** Set once synthesis has begun (a Lazy resolved, or the synth aspect ran): renders are cached from then on. */
  private synthesizing = false;
  private cache?: { fingerprint: number; rendered: RenderedChart };

  constructor(scope: Construct, id: string, props: KubernetesWorkloadProps) {
    super(scope, id);
    assertOneCore(this); // its Aspect would be skipped by a stack of another core copy
    checkStateLocation(this);
    checkDnsLabel(this, 'namespace', props.namespace);
    checkDnsLabel(this, 'releaseNamespace', props.releaseNamespace);
    checkDnsLabel(this, 'releaseName', props.releaseName, 53);
    check.integerInRange(this, 'timeoutSeconds', props.timeoutSeconds, 30, 86_400);
    if (!props.cluster || !props.cluster.helmProvider) {
      throw new InvalidPropError(this, 'cluster', props.cluster?.node?.path, 'an IGpuCluster with a helmProvider');
    }
    if (TerraformStack.of(props.cluster.helmProvider) !== TerraformStack.of(this)) {
      throw new InvalidPropError(this, 'cluster', props.cluster.node.path,
        `a cluster whose helm provider is in this stack (${TerraformStack.of(this).node.id}); in another stack, import the cluster with GpuTrainingCluster.fromClusterAttributes`);
    }
    Object.defineProperty(this, WORKLOAD_SYMBOL, { value: true });

    this.cluster = props.cluster;
    this.namespace = props.namespace;
    this.releaseName = props.releaseName ?? constructDnsLabel(this, 53);
    this.dependOnAddons = props.dependOnClusterAddons ?? true;

    // The cdk8s app lives outside the cdktf tree (cdk8s resolves tokens through its own App); settings are
    // explicit so no environment variable changes the output.
    const { App: Cdk8sApp, Chart: Cdk8sChart } = cdk8s();
    const k8sApp = new Cdk8sApp({ outdir: 'dist', recordConstructMetadata: false });
    this.chart = new Cdk8sChart(k8sApp, this.releaseName, { namespace: props.namespace, disableResourceNameHashes: true });

    this.release = helmRelease(this, 'Release', {
      provider: props.cluster.helmProvider,
      name: this.releaseName,
      namespace: props.releaseNamespace ?? props.namespace,
      chart: Lazy.stringValue({ produce: () => `./${this.startSynthesis().ensureAsset().path}` }),
      values: Lazy.listValue({ produce: () => this.startSynthesis().helmValues() }),
      atomic: true,
      cleanupOnFail: true,
      wait: props.wait ?? true,
      waitForJobs: props.waitForJobs ?? false,
      timeout: props.timeoutSeconds ?? 600,
      maxHistory: 10,
      description: props.description ?? `cdktf-ai-infra ${this.node.path}`.slice(0, 250),
    });

    Aspects.of(this).add(new WorkloadSynth(this));
  }

  /** Adds an object to the chart (same as `new ApiObject(workload.chart, id, props)`). */
  public addObject(id: string, props: ApiObjectProps): ApiObject {
    return apiObject(this.chart, id, props);
  }

  /** Applies this release after `deps` (other workloads' releases, add-on releases, any resource). */
  public addDependency(...deps: (KubernetesWorkload | ITerraformDependable)[]): void {
    for (const dep of deps) {
      this.extraDependencies.push(KubernetesWorkload.isKubernetesWorkload(dep) ? dep.release : dep);
    }
  }

  /**
   * Renders the chart (pure: writes nothing). Call it in tests or policy checks; synth writes exactly these files.
   */
  public render(): RenderedChart {
    // During synthesis the objects are final: the render is reused unless objects were added since.
    const fingerprint = this.chart.node.findAll().length;
    if (this.synthesizing && this.cache?.fingerprint === fingerprint) return this.cache.rendered;
    const rendered = this.renderNow();
    if (this.synthesizing) this.cache = { fingerprint, rendered };
    return rendered;
  }

  /** @internal */
  public startSynthesis(): this {
    this.synthesizing = true;
    return this;
  }

  private renderNow(): RenderedChart {
    const templater = new TokenTemplater();
    const tagged = (this.chart.toJson() as Record<string, unknown>[])
      .map((o) => topLevelOrder(stripClusterScopedNamespace(templater.replace(canonical(o)) as Record<string, unknown>)));
    // The objects as callers see them: embedded strings without the internal tag.
    const objects = tagged.map((o) => templater.untag(o) as Record<string, unknown>);
    const files = templater.templateFiles(tagged);
    files['values.yaml'] = valuesYaml(templater.placeholders, TerraformStack.of(this));
    files['Chart.yaml'] = chartYaml(this.releaseName, this.node.path, files);
    const sorted: Record<string, string> = {};
    for (const f of Object.keys(files).sort()) sorted[f] = files[f];
    const hash = sha256(Object.keys(sorted).map((f) => `${f}\0${sorted[f]}\0`).join('')).slice(0, 32);
    return { name: this.releaseName, files: sorted, objects, placeholders: templater.placeholders, hash };
  }

  /** The `helm_release.values` entries: one YAML document with the placeholder values, or none. */
  private helmValues(): string[] {
    const { placeholders } = this.render();
    if (placeholders.length === 0) return [];
    const tf: Record<string, unknown> = {};
    for (const p of placeholders) {
      // An inline value sits in a YAML double-quoted string: Terraform escapes backslashes and quotes.
      tf[p.key] = p.embedded
        ? Fn.replace(Fn.replace(p.value as string, HCL_BACKSLASH, HCL_TWO_BACKSLASHES), HCL_QUOTE, HCL_ESCAPED_QUOTE)
        : p.value;
    }
    return [Fn.yamlencode({ tf })];
  }

  /**
   * Writes the chart (during synth only) to `<outdir>/charts/<stack>/<release>/` and makes the
   * asset that ships it. Idempotent; fails when objects were added after the chart was written.
   * @internal
   */
  public ensureAsset(): DirectoryAsset {
    const rendered = this.render();
    if (this.asset) {
      if (this.asset.assetHash !== rendered.hash) {
        throw new Error(`${this.node.path}: Kubernetes objects changed after the chart was synthesized; add every object before synth`);
      }
      return this.asset;
    }
    const stack = TerraformStack.of(this);
    writeChart(path.resolve(App.of(this).outdir, 'charts', stack.node.id, this.releaseName), rendered);
    this.asset = new DirectoryAsset(this, 'Chart', { assetHash: rendered.hash, write: (dir) => writeFiles(dir, rendered.files) });
    return this.asset;
  }

  /** @internal */
  public applyDependencies(): void {
    // Keyed by fqn (dedupe, stable order); written through cdktf's `dependable`, which renders the bare
    // `helm_release.x` address Terraform requires in depends_on (never the `${...}` interpolation form).
    const deps = new Map<string, ITerraformDependable>();
    const add = (d: ITerraformDependable) => deps.set(d.fqn, d);
    this.extraDependencies.forEach(add);
    if (this.dependOnAddons && TerraformStack.of(this.cluster) === TerraformStack.of(this)) {
      if (this.cluster.addOnDependencies) {
        this.cluster.addOnDependencies.forEach(add);
      } else {
        for (const c of this.cluster.node.findAll()) {
          if (!isHelmRelease(c) || c === this.release) continue;
          if (c.node.scopes.some((s) => KubernetesWorkload.isKubernetesWorkload(s))) continue;
          add(c as TerraformResource);
        }
      }
    }
    if (deps.size === 0) return;
    // Ordered by construct path: an fqn is a token whose number moves whenever another construct is created first.
    const key = (d: ITerraformDependable) => (Construct.isConstruct(d) ? d.node.path : d.fqn);
    const ordered = [...deps.values()].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)).map((d) => dependable(d));
    this.release.dependsOn = [...(this.release.dependsOn ?? []), ...ordered];
  }
}

/**
 * Turns the Terraform tokens in rendered objects into Helm values: a whole-value token becomes a marker for
 * `{{ .Values.tf.vN | toJson }}`; a string with tokens and literal parts keeps the literal parts in the template
 * (tools that read the raw chart, and policy checks, see e.g. an image tag), each token an inline value.
 */
class TokenTemplater {
  public readonly placeholders: ChartPlaceholder[] = [];
  private readonly index = new Map<string, number>();
  private readonly embeddedStrings: string[] = [];
  private readonly embeddedPlain: string[] = [];

  public replace(value: unknown): unknown {
    if (typeof value === 'string') return this.replaceString(value);
    if (typeof value === 'number') return Token.isUnresolved(value) ? `${MARKER}${this.keyOf(value, String(value), false)}__` : value;
    if (Array.isArray(value)) {
      if (value.length === 1 && typeof value[0] === 'string' && Token.isUnresolved(value)) return `${MARKER}${this.keyOf(value, value[0], false)}__`;
      return value.map((v) => this.replace(v));
    }
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[this.replace(k) as string] = this.replace(v);
      return out;
    }
    return value;
  }

  /** `value` with embedded-string tags turned back into their plain text (markers stay). */
  public untag(value: unknown): unknown {
    if (typeof value === 'string') return this.plain(value);
    if (Array.isArray(value)) return value.map((v) => this.untag(v));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [this.untag(k), this.untag(v)]));
    }
    return value;
  }

  /** One template file per object, in order: `templates/NNN-<kind>-<name>.yaml`. */
  public templateFiles(tagged: readonly Record<string, unknown>[]): Record<string, string> {
    const files: Record<string, string> = {};
    const used = new Set<string>();
    tagged.forEach((obj, i) => {
      const kind = String(obj.kind ?? 'object').toLowerCase();
      const meta = (obj.metadata ?? {}) as Record<string, unknown>;
      const name = this.plain(String(meta.name ?? 'unnamed')).replace(MARKER_RE, 'tf$1').replace(/[^a-zA-Z0-9.-]+/g, '-').toLowerCase();
      let file = `templates/${String(i).padStart(3, '0')}-${kind}-${name}.yaml`.slice(0, 200);
      while (used.has(file)) file = file.replace(/\.yaml$/, '-x.yaml');
      used.add(file);
      const yamlText = stringify(obj, { lineWidth: 0, minContentWidth: 0, sortMapEntries: false, aliasDuplicateObjects: false });
      // Markers are plain scalars in the YAML text; an embedded string becomes one double-quoted scalar.
      files[file] = escapeTemplate(yamlText)
        .replace(EMBED_RE, (_m, n: string) => `"${this.embeddedStrings[Number(n)]}"`)
        .replace(MARKER_RE, (_m, n: string) => `{{ .Values.tf.v${n} | toJson }}`);
    });
    return files;
  }

  private plain(text: string): string {
    return text.replace(EMBED_RE, (_m, n: string) => this.embeddedPlain[Number(n)]);
  }

  private keyOf(value: unknown, identity: string, embedded: boolean): number {
    const id = `${embedded ? 'e' : 'w'}:${identity}`;
    let n = this.index.get(id);
    if (n === undefined) {
      n = this.placeholders.length;
      this.index.set(id, n);
      this.placeholders.push({ key: `v${n}`, value, embedded });
    }
    return n;
  }

  private replaceString(value: string): string {
    if (!Token.isUnresolved(value)) return value;
    const pieces = value.split(TOKEN_IN_STRING);
    const tokens = value.match(TOKEN_IN_STRING) ?? [];
    if (tokens.length === 0 || (tokens.length === 1 && pieces.every((p) => p === ''))) {
      return `${MARKER}${this.keyOf(value, value, false)}__`;
    }
    let template = '';
    let plain = '';
    pieces.forEach((lit, i) => {
      template += escapeTemplate(JSON.stringify(lit).slice(1, -1));
      plain += lit;
      if (i < tokens.length) {
        const n = this.keyOf(tokens[i], tokens[i], true);
        template += `{{ .Values.tf.v${n} }}`;
        plain += `${MARKER}${n}__`;
      }
    });
    this.embeddedStrings.push(template);
    this.embeddedPlain.push(plain);
    return `${EMBED}${this.embeddedStrings.length - 1}__`;
  }
}

/** values.yaml: each placeholder with the Terraform expression that fills it, for users outside Terraform. */
function valuesYaml(placeholders: readonly ChartPlaceholder[], stack: TerraformStack): string {
  const valueLines = placeholders.map((p) => {
    let expression: string;
    try {
      const resolved = Tokenization.resolve(p.value, { scope: stack, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) });
      expression = JSON.stringify(resolved);
    } catch {
      expression = 'a Terraform value';
    }
    return `  ${p.key}: null # ${expression}${p.embedded ? ' (inline in a quoted string: escape \\ and ")' : ''}`;
  });
  return [
    '# Values of this chart. Terraform fills `tf` through helm_release.values.',
    '# To apply the chart without Terraform (Argo CD, Flux, helm install), set each tf.vN below to the',
    '# value of the Terraform expression in its comment (`terraform output` or the cloud console).',
    placeholders.length ? 'tf:' : 'tf: {}',
    ...valueLines,
    '',
  ].join('\n');
}

/** Chart.yaml, versioned by the content of the other files (a changed object is a new chart version). */
function chartYaml(releaseName: string, constructPath: string, files: Record<string, string>): string {
  const contentHash = sha256(Object.keys(files).sort().map((f) => `${f}\0${files[f]}\0`).join(''));
  return [
    'apiVersion: v2',
    `name: ${releaseName}`,
    `description: ${JSON.stringify(`Kubernetes objects of ${constructPath} (cdktf-ai-infra)`)}`,
    'type: application',
    `version: 0.0.0-h${contentHash.slice(0, 12)}`,
    '',
  ].join('\n');
}

/** Runs at synth (cdktf invokes aspects in `app.synth()` and `Testing.synth()`), never in a constructor. */
class WorkloadSynth implements IAspect {
  private done = false;
  constructor(private readonly workload: KubernetesWorkload) {}
  public visit(node: IConstruct): void {
    if (node !== this.workload || this.done) return;
    this.done = true;
    this.workload.startSynthesis();
    this.workload.applyDependencies();
    this.workload.ensureAsset();
  }
}

/** Writes a rendered chart into `dir` (replacing what was there) through a temporary sibling. */
function writeChart(dir: string, chart: RenderedChart): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  writeFiles(tmp, chart.files);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  try {
    fs.renameSync(tmp, dir);
  } catch {
    // Another process wrote the same release at the same moment: content is deterministic, keep theirs.
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
