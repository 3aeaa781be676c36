// Fixtures for the policy tests: raw Terraform resources with exactly the attributes a test needs (as they
// appear in cdk.tf.json), and Kubernetes objects registered with addKubernetesObjects.
import { Construct } from 'constructs';
import { TerraformDataSource, TerraformResource, TerraformStack, Testing } from 'cdktf';
import { addKubernetesObjects, AiInfraPolicyPack, PolicyFinding } from '../../src/policy';

export type Body = Record<string, unknown>;

/** A resource of any type with the given (snake_case) attributes. */
export class RawResource extends TerraformResource {
  constructor(scope: Construct, id: string, type: string, private readonly body: Body) {
    super(scope, id, { terraformResourceType: type });
  }
  protected synthesizeAttributes(): Body {
    return this.body;
  }
}

/** A data source of any type with the given attributes. */
export class RawDataSource extends TerraformDataSource {
  constructor(scope: Construct, id: string, type: string, private readonly body: Body) {
    super(scope, id, { terraformResourceType: type });
  }
  protected synthesizeAttributes(): Body {
    return this.body;
  }
}

export function raw(scope: Construct, type: string, id: string, body: Body = {}): RawResource {
  return new RawResource(scope, id, type, body);
}

/** A reference (`${type.id.attr}` after resolution) to a resource attribute. */
export function ref(r: TerraformResource, attr = 'id'): string {
  return r.getStringAttribute(attr);
}

export function newStack(id = 'test'): TerraformStack {
  return new TerraformStack(Testing.app(), id);
}

/** Unsuppressed findings of one rule in the stack. */
export function findingsOf(stack: TerraformStack, ruleId: string): PolicyFinding[] {
  return new AiInfraPolicyPack().evaluate(stack).filter((f) => f.ruleId === ruleId && f.suppressedReason === undefined);
}

/** Registers Kubernetes objects on a construct `workload` of the stack. */
export function k8s(stack: TerraformStack, ...objects: Body[]): Construct {
  const source = new Construct(stack, `workload${stack.node.children.length}`);
  addKubernetesObjects(source, objects);
  return source;
}

/** A rule test case: `fail` builds a stack the rule flags, `pass` one it accepts. */
export interface RuleCase {
  readonly fail: (stack: TerraformStack) => void;
  readonly pass: (stack: TerraformStack) => void;
}

/** Runs one failing and one passing fixture for each rule id. */
export function describeRules(cases: Record<string, RuleCase>): void {
  for (const [id, c] of Object.entries(cases)) {
    describe(id, () => {
      test('flags the failing fixture', () => {
        const stack = newStack();
        c.fail(stack);
        const found = findingsOf(stack, id);
        expect(found.length).toBeGreaterThan(0);
        expect(found[0].message.length).toBeGreaterThan(0);
      });
      test('accepts the passing fixture', () => {
        const stack = newStack();
        c.pass(stack);
        expect(findingsOf(stack, id)).toEqual([]);
      });
    });
  }
}

// ---- Kubernetes baselines: compliant objects that a test mutates. ----

export function goodContainer(extra: Body = {}): Body {
  return {
    name: 'main',
    image: 'registry.example/acme/server:3f2a9c1e',
    securityContext: {
      runAsNonRoot: true, runAsUser: 10001, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
    resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '2Gi' } },
    readinessProbe: { httpGet: { path: '/readyz', port: 8000 } },
    livenessProbe: { httpGet: { path: '/healthz', port: 8000 } },
    ...extra,
  };
}

export function goodPodSpec(extra: Body = {}, container: Body = {}): Body {
  return {
    serviceAccountName: 'server',
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [goodContainer(container)],
    ...extra,
  };
}

export function deployment(name = 'chat', podExtra: Body = {}, container: Body = {}, spec: Body = {}): Body {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'serving' },
    spec: {
      replicas: 2, selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: goodPodSpec(podExtra, container) },
      ...spec,
    },
  };
}

export function pdb(name = 'chat'): Body {
  return { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: 'serving' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: name } } } };
}

export function job(name = 'pretrain', podExtra: Body = {}, container: Body = {}, spec: Body = {}): Body {
  return {
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: 'research' },
    spec: {
      backoffLimit: 6, activeDeadlineSeconds: 86_400,
      template: { metadata: { labels: { job: name } }, spec: { restartPolicy: 'Never', ...goodPodSpec(podExtra, { readinessProbe: undefined, livenessProbe: undefined, ...container }) } },
      ...spec,
    },
  };
}

export const GPU_TOLERATION = { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' };
