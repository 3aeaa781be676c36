// EKS first apply, upgrade and destroy (issue 15, items 4, 8, 10, 12): what the synthesized stack must hold
// for `cdktf deploy` to work in a fresh account, for a node pool to be replaced without an outage, and for
// `cdktf destroy` to refuse up front or finish.
import { Testing } from 'cdktf';
import { parse } from 'yaml';
import { Platform } from '../../examples/platform/platform';
import { Cloud } from '../../src/core/cloud';
import { Gpu } from '../../src/core/gpu';
import { KubernetesWorkload } from '../../src/k8s/delivery';
import { manifestsOf } from '../k8s/validate';
import { keyPolicy } from '../../src/clouds/aws/keys';
import { all, aws, byId, clusterJson, Json, one, release } from './cluster-helpers';
import { SynthQuery } from '../synth-query';

/** Every address a resource refers to: its depends_on entries and the `type.name.attr` references in its expressions. */
function references(resource: Json): string[] {
  const refs = (resource.depends_on ?? []).map((d: string) => d.replace(/^\$\{|\}$/g, ''));
  const expressions = JSON.stringify({ ...resource, depends_on: undefined }).match(/\$\{.*?\}(?=[^}]*")/g) ?? [];
  for (const e of expressions) for (const m of e.matchAll(/\b([a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)\.[a-z_]+/g)) refs.push(m[1]);
  return refs;
}

describe('fresh account: the node-volume key names no principal that may not exist yet (item 4)', () => {
  const { json } = clusterJson({ cloud: aws() });

  test('every key policy Principal is the account root, a service, a role made in this stack, or "*" matched by aws:PrincipalArn', () => {
    for (const key of all(json, 'aws_kms_key')) {
      for (const st of JSON.parse(key.policy).Statement) {
        for (const principal of [st.Principal.AWS ?? []].flat() as string[]) {
          if (principal === '*') {
            expect(st.Condition.StringEquals['aws:PrincipalArn']).toMatch(/^arn:\$\{data\.aws_partition\.[^}]+\}:iam::\$\{data\.aws_caller_identity\.[^}]+\}:role\//);
            expect(st.Condition.StringEquals['kms:CallerAccount']).toMatch(/aws_caller_identity/);
          } else {
            // The account root, or a reference to a role this stack makes (it exists before the key).
            expect(principal).toMatch(/:root$|^\$\{aws_iam_role\.[^}]+\.arn\}$/);
          }
        }
      }
    }
  });

  test('the Auto Scaling service-linked role may use the key and grant it to EC2, matched by its ARN', () => {
    const policy = JSON.parse(one(json, 'aws_kms_key', 'NodeVolumeKey').policy);
    const bySid = Object.fromEntries(policy.Statement.map((st: Json) => [st.Sid, st]));
    const slr = /:role\/aws-service-role\/autoscaling\.amazonaws\.com\/AWSServiceRoleForAutoScaling$/;
    expect(bySid.AutoScalingUsesTheKey.Principal).toEqual({ AWS: '*' });
    expect(bySid.AutoScalingUsesTheKey.Condition.StringEquals['aws:PrincipalArn']).toMatch(slr);
    expect(bySid.AutoScalingUsesTheKey.Action).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKeyWithoutPlaintext']));
    expect(bySid.AutoScalingGrantsToEc2.Condition).toMatchObject({
      StringEquals: { 'aws:PrincipalArn': expect.stringMatching(slr) }, Bool: { 'kms:GrantIsForAWSResource': 'true' },
    });
    expect(JSON.stringify(policy)).not.toMatch(/"AWS":"arn:[^"]*AWSServiceRoleForAutoScaling"/);
  });
});

// The example platform on AWS: tenant, training job, restore drill, monitoring, two internal endpoints.
const platform = new Platform(Testing.app(), 'platform-aws', { cloud: Cloud.aws({ region: 'us-east-1' }) });
const platformJson: Json = SynthQuery.fromStack(platform).json;

describe('Pod Identity associations come before the pods that use them (item 8)', () => {
  const json = platformJson;
  const releases = byId(json, 'helm_release');
  const associations = byId(json, 'aws_eks_pod_identity_association');

  test('every association is referenced by a release (depends_on or values): no workload starts without credentials', () => {
    expect(Object.keys(associations).length).toBeGreaterThanOrEqual(5);
    const referenced = new Set(Object.values(releases).flatMap(references));
    const unordered = Object.entries(associations).filter(([id]) => !referenced.has(`aws_eks_pod_identity_association.${id}`))
      .map(([, a]) => `${a.namespace}/${a.service_account}`);
    expect(unordered).toEqual([]);
  });

  test('cluster-autoscaler waits for its association and its IAM policy (GPU pools scale from zero on the first apply)', () => {
    const ca = release(json, 'cluster-autoscaler');
    const [assocId] = Object.entries(associations).find(([, a]) => a.service_account === 'cluster-autoscaler')!;
    expect(references(ca)).toEqual(expect.arrayContaining([
      `aws_eks_pod_identity_association.${assocId}`, expect.stringMatching(/^aws_iam_role_policy\..*ClusterAutoscaler_Policy/),
    ]));
  });

  test('the AWS Load Balancer Controller waits for its association', () => {
    const { json: j } = clusterJson({ cloud: aws(), gatewayApi: true });
    const [assocId] = Object.entries(byId(j, 'aws_eks_pod_identity_association')).find(([, a]: [string, Json]) => a.service_account === 'aws-load-balancer-controller')!;
    expect(references(release(j, 'aws-load-balancer-controller'))).toContain(`aws_eks_pod_identity_association.${assocId}`);
  });
});

describe('node groups are replaced without an outage (item 10)', () => {
  const build = (machineType: string, gpusPerNode: number) => clusterJson({
    cloud: aws(), systemPool: { machineType }, gpuPools: [{ gpu: Gpu.L4, gpusPerNode, maxNodes: 2, name: 'l4', capacity: ['on-demand', 'spot'] }],
  }).json;
  const before = build('m6i.xlarge', 1);
  const after = build('m6i.2xlarge', 4);

  test('a machine-type change: the same groups by name prefix (no fixed name), each created before the old one is destroyed', () => {
    const groups = (j: Json) => Object.fromEntries(Object.entries(byId(j, 'aws_eks_node_group')).map(([id, g]: [string, Json]) => [id, g]));
    const b = groups(before);
    const a = groups(after);
    expect(Object.keys(a)).toEqual(Object.keys(b));
    for (const [id, g] of Object.entries(a)) {
      expect(g.node_group_name).toBeUndefined();
      expect(g.node_group_name_prefix).toBe(b[id].node_group_name_prefix);
      expect(g.node_group_name_prefix).toMatch(/^[a-z0-9-]+-$/);
      // EKS names are at most 63 characters; Terraform appends 26.
      expect(g.node_group_name_prefix.length).toBeLessThanOrEqual(63 - 26);
      expect(g.lifecycle).toEqual({ create_before_destroy: true, ignore_changes: ['scaling_config[0].desired_size'] });
      expect(g.instance_types).not.toEqual(b[id].instance_types);
    }
    expect(Object.values(a).map((g: Json) => g.node_group_name_prefix).sort()).toEqual(['l4-od-', 'l4-spot-', 'system-']);
  });

  test('launch templates: name prefix and create_before_destroy too', () => {
    for (const lt of all(after, 'aws_launch_template')) {
      expect(lt.name).toBeUndefined();
      expect(lt.name_prefix).toMatch(/-$/);
      expect(lt.lifecycle).toEqual({ create_before_destroy: true });
    }
  });

  test('the autoscaler\'s priority expander still matches the Auto Scaling groups of prefixed node groups', () => {
    const priorities = parse(release(after, 'cluster-autoscaler').values[0]).expanderPriorities as Record<string, string[]>;
    const asg = (prefix: string) => `eks-${prefix}20250101120000000000000001-1ac9c3a4-5b6c-7d8e-9f00-112233445566`;
    const match = (name: string) => Object.entries(priorities).filter(([p]) => p !== '1').find(([, res]) => res.some((r) => new RegExp(r).test(name)))?.[0];
    expect(match(asg('l4-od-'))).toBe('50');
    expect(match(asg('l4-spot-'))).toBe('10');
  });
});

describe('key policies: a wildcard principal only with a condition naming the principal (item 4)', () => {
  test('keyPolicy refuses Principal "*" without a StringEquals aws:PrincipalArn condition', () => {
    expect(() => keyPolicy('arn:aws:iam::123456789012:root', [{ sid: 'Open', principal: { AWS: '*' }, actions: ['kms:Decrypt'] }])).toThrow(/Open: Principal "\*" needs/);
    expect(() => keyPolicy('arn:aws:iam::123456789012:root', [{
      sid: 'Matched', principal: { AWS: '*' }, actions: ['kms:Decrypt'], condition: { StringEquals: { 'aws:PrincipalArn': 'arn:aws:iam::123456789012:role/x' } },
    }])).not.toThrow();
  });
});

describe('cdktf destroy refuses up front or finishes (item 12)', () => {
  test('a deletion-protected EKS cluster also has prevent_destroy: the destroy plan fails before any workload is removed', () => {
    const eks = one(platformJson, 'aws_eks_cluster', /^train_[0-9A-F]{8}$/);
    expect(eks.deletion_protection).toBe(true);
    expect(eks.lifecycle).toEqual({ prevent_destroy: true });
    const off = one(clusterJson({ cloud: aws(), deletionProtection: false }).json, 'aws_eks_cluster', /^train_[0-9A-F]{8}$/);
    expect(off.deletion_protection).toBe(false);
    expect(off.lifecycle).toBeUndefined();
  });

  test('ECR repositories are deleted with their images (they are rebuilt from compute/ on apply)', () => {
    const repos = all(platformJson, 'aws_ecr_repository');
    expect(repos.length).toBeGreaterThanOrEqual(1);
    for (const repo of repos) expect(repo.force_delete).toBe(true);
  });

  test('endpoints: load balancers of the AWS Load Balancer Controller (NLB Services, ALB Gateways), which is destroyed after them', () => {
    const objects = KubernetesWorkload.allIn(platform).flatMap((w) => manifestsOf(w).map((o: Json) => ({ w, o })));
    const services = objects.filter(({ o }) => o.kind === 'Service' && o.spec?.type === 'LoadBalancer').map(({ w, o }) => ({ w, svc: o }));
    const gateways = objects.filter(({ o }) => o.kind === 'Gateway');
    // The example's endpoints route through Gateways (chat: its canary; llm: the scale-to-zero activator): no NLB Service left.
    expect(services).toEqual([]);
    expect(gateways.map(({ w }) => w.releaseName).sort()).toEqual([expect.stringMatching(/^platform-aws-chat-/), expect.stringMatching(/^platform-aws-llm-/)]);
    const lbc = Object.entries(byId(platformJson, 'helm_release')).find(([, r]: [string, Json]) => r.name === 'aws-load-balancer-controller');
    expect(lbc).toBeDefined();
    for (const { w, svc } of services) {
      expect(svc.spec.loadBalancerClass).toBe('service.k8s.aws/nlb');
      expect(svc.metadata.annotations).toMatchObject({
        'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
        'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
        'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal',
      });
      // Applied after the controller, so destroyed before it; `wait` makes helm wait for the Service's finalizer.
      const r = Object.values(byId(platformJson, 'helm_release')).find((x: Json) => x.name === w.releaseName) as Json;
      expect(references(r)).toContain(`helm_release.${lbc![0]}`);
      expect(r.wait).toBe(true);
    }
    for (const { w } of gateways) {
      const r = Object.values(byId(platformJson, 'helm_release')).find((x: Json) => x.name === w.releaseName) as Json;
      expect(references(r)).toContain(`helm_release.${lbc![0]}`);
    }
  });
});
