import { IConstruct } from 'constructs';
import type { ApiObject, Chart } from 'cdk8s';
import { cdk8s } from '../k8s/cdk8s';
import { DefaultTokenResolver, StringConcat, TerraformDataSource, TerraformResource, TerraformStack, Tokenization } from 'cdktf';
import { KubernetesObjectView, PolicyContext, TerraformResourceView } from './rule';
import { mentions } from './util';

const RESOLVER = new DefaultTokenResolver(new StringConcat());
const K8S_SOURCES = Symbol.for('cdktf-ai-infra.policy.kubernetesSources');

type ObjectsProvider = () => readonly Record<string, unknown>[];

/**
 * Registers Kubernetes objects for the policy pack to check, attached to `scope` (findings and suppressions
 * use its path). The library's own `KubernetesWorkload`s are found without this; use it for charts you
 * render yourself (cdk8s `Chart`, or plain objects read from YAML).
 */
export function addKubernetesObjects(scope: IConstruct, objects: Chart | readonly Record<string, unknown>[] | ObjectsProvider): void {
  const provider: ObjectsProvider = cdk8s().Chart.isChart(objects)
    ? () => objects.toJson() as Record<string, unknown>[]
    : typeof objects === 'function' ? objects : () => objects as readonly Record<string, unknown>[];
  const holder = scope as unknown as Record<symbol, ObjectsProvider[] | undefined>;
  if (!holder[K8S_SOURCES]) Object.defineProperty(scope, K8S_SOURCES, { value: [], enumerable: false });
  holder[K8S_SOURCES]!.push(provider);
}

function isElement(node: IConstruct): node is TerraformResource | TerraformDataSource {
  return TerraformResource.isTerraformResource(node) || TerraformDataSource.isTerraformDataSource(node);
}

/** The rule's view of one resource; attributes are resolved on first use. */
export function terraformView(stack: TerraformStack, element: TerraformResource | TerraformDataSource): TerraformResourceView {
  const isData = TerraformDataSource.isTerraformDataSource(element);
  const type = `${isData ? 'data.' : ''}${element.terraformResourceType}`;
  const name = element.friendlyUniqueId;
  let attrs: Record<string, unknown> | undefined;
  return {
    construct: element,
    type,
    name,
    address: `${type}.${name}`,
    get attrs(): Record<string, unknown> {
      if (!attrs) {
        try {
          const tf = Tokenization.resolve(element.toTerraform(), { scope: stack, preparing: false, resolver: RESOLVER }) as
            Record<string, Record<string, Record<string, Record<string, unknown>>>>;
          const body = { ...(tf[isData ? 'data' : 'resource']?.[element.terraformResourceType]?.[name] ?? {}) };
          delete body['//'];
          attrs = body;
        } catch {
          attrs = {};
        }
      }
      return attrs;
    },
  };
}

function kubernetesProviders(node: IConstruct, seenCharts = new Set<Chart>()): ObjectsProvider[] {
  const out: ObjectsProvider[] = [];
  const registered = (node as unknown as Record<symbol, ObjectsProvider[] | undefined>)[K8S_SOURCES];
  if (registered) out.push(...registered);
  // The library's KubernetesWorkload (src/k8s/delivery.ts): a construct with a cdk8s `chart` and a pure
  // `render()` whose objects are what the Helm chart holds. Duck-typed so the pack also sees a user's own
  // delivery construct built the same way.
  const candidate = node as unknown as { chart?: unknown; render?: () => { objects?: Record<string, unknown>[] } };
  // A chart exposed by several constructs (a workload and its owner) is checked once, on the first one found.
  if (cdk8s().Chart.isChart(candidate.chart) && !seenCharts.has(candidate.chart)) {
    const chart = candidate.chart;
    seenCharts.add(chart);
    out.push(typeof candidate.render === 'function'
      ? () => candidate.render!().objects ?? (chart.toJson() as Record<string, unknown>[])
      : () => chart.toJson() as Record<string, unknown>[]);
  }
  return out;
}

/** Views of Kubernetes objects (plain JSON) delivered by `source`. */
export function kubernetesViews(source: IConstruct, objects: readonly Record<string, unknown>[]): KubernetesObjectView[] {
  return objects.filter((o) => o && typeof o === 'object').map((manifest) => {
    const meta = (manifest.metadata ?? {}) as Record<string, unknown>;
    const kind = String(manifest.kind ?? '');
    const name = String(meta.name ?? '');
    const namespace = typeof meta.namespace === 'string' ? meta.namespace : undefined;
    return {
      source,
      apiVersion: String(manifest.apiVersion ?? ''),
      kind,
      name,
      namespace,
      manifest,
      address: namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`,
    };
  });
}

/** Kubernetes objects a construct delivers (none for most constructs). */
export function kubernetesObjectsOf(node: IConstruct, seenCharts?: Set<Chart>): KubernetesObjectView[] {
  return kubernetesProviders(node, seenCharts).flatMap((p) => {
    const objects = p();
    return kubernetesViews(node, objects.map((o) => (cdk8s().ApiObject.isApiObject(o) ? (o as ApiObject).toJson() : o) as Record<string, unknown>));
  });
}

/** Everything the rules of one stack may look at, computed once per evaluation. */
export class StackPolicyContext implements PolicyContext {
  private views?: TerraformResourceView[];
  private byConstruct?: Map<IConstruct, TerraformResourceView>;
  private k8s?: Map<IConstruct, KubernetesObjectView[]>;

  constructor(public readonly stack: TerraformStack) {}

  public resources(type?: string): readonly TerraformResourceView[] {
    if (!this.views) {
      this.views = this.stack.node.findAll().filter(isElement).filter((e) => TerraformStack.of(e) === this.stack)
        .map((e) => terraformView(this.stack, e));
      this.byConstruct = new Map(this.views.map((v) => [v.construct, v]));
    }
    return type === undefined ? this.views : this.views.filter((v) => v.type === type);
  }

  public viewOf(element: IConstruct): TerraformResourceView | undefined {
    this.resources();
    return this.byConstruct!.get(element);
  }

  public referencing(type: string, target: TerraformResourceView): readonly TerraformResourceView[] {
    return this.resources(type).filter((r) => r !== target && mentions(r.attrs, target.address));
  }

  public kubernetesSources(): Map<IConstruct, KubernetesObjectView[]> {
    if (!this.k8s) {
      this.k8s = new Map();
      const seenCharts = new Set<Chart>();
      for (const node of this.stack.node.findAll()) {
        if (TerraformStack.of(node) !== this.stack) continue;
        const objects = kubernetesObjectsOf(node, seenCharts);
        if (objects.length > 0) this.k8s.set(node, objects);
      }
    }
    return this.k8s;
  }

  public kubernetesObjects(): readonly KubernetesObjectView[] {
    return [...this.kubernetesSources().values()].flat();
  }
}
