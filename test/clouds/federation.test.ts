// Cloud identity federation (issue 21): on each cloud, a ServiceAccount's token federates to exactly the identity
// bound to that ServiceAccount (namespace and name), never to another tenant's or workload's, and a tenant's
// identity reaches only the tenant's bucket prefix. Each check reads the synthesized Terraform JSON; each has a
// fixture (a mutated copy of the same JSON) that makes it fail.
import { TerraformStack, Testing } from 'cdktf';
import { Cloud, Gpu, GpuTrainingCluster, ModelBackupBucket } from '../../src';
import { podIdentityTrustPolicy } from '../../src/clouds/aws/identity';
import { TrainingJob } from '../../src/training/training-job';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const clouds = {
  aws: () => Cloud.aws({ region: 'us-east-1' }),
  gcp: () => Cloud.gcp({ project: 'acme-ml', region: 'us-central1' }),
  azure: () => Cloud.azure({ location: 'eastus' }),
};

/** Two tenants (each with its own bucket prefix) and a training job of one, on `cloud`. */
function platform(cloud: Cloud): Json {
  const stack = new TerraformStack(Testing.app(), 'plat');
  const models = new ModelBackupBucket(stack, 'models', { cloud });
  const cluster = new GpuTrainingCluster(stack, 'train', { cloud, gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2 }] });
  const research = cluster.addTenant('research', { gpuQuota: 8, store: models });
  cluster.addTenant('vision', { gpuQuota: 8, store: models });
  new TrainingJob(stack, 'pretrain', { cluster, tenant: research, nodes: 1, gpusPerNode: 8, checkpoints: models, model: { preset: 'gpt-1b' }, image: 'a/b:1' });
  return JSON.parse(Testing.synth(stack));
}

const resources = (json: Json, type: string): [string, Json][] => Object.entries((json.resource?.[type] ?? {}) as Record<string, Json>);
/** `${type.name.attr}` -> name. */
const refName = (value: unknown, type: string): string | undefined => new RegExp(`\\$\\{${type}\\.([^.}]+)\\.`).exec(String(value))?.[1];

/**
 * AWS: every Pod Identity role's trust policy lets pods.eks.amazonaws.com in only with the session tags of a
 * ServiceAccount associated with it (cluster, namespace, name), and every association is so trusted.
 */
function awsTrustProblems(json: Json): string[] {
  const problems: string[] = [];
  const bound = new Map<string, Set<string>>();
  for (const [, a] of resources(json, 'aws_eks_pod_identity_association')) {
    const role = refName(a.role_arn, 'aws_iam_role') ?? String(a.role_arn);
    bound.set(role, (bound.get(role) ?? new Set()).add(`${a.cluster_name}|${a.namespace}|${a.service_account}`));
  }
  for (const [name, role] of resources(json, 'aws_iam_role')) {
    const statements = (JSON.parse(role.assume_role_policy).Statement as Json[]);
    const pods = statements.filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Principal).includes('pods.eks.amazonaws.com'));
    const trusted = new Set<string>();
    for (const s of pods) {
      const eq = (s.Condition?.StringEquals ?? {}) as Record<string, unknown>;
      const keys = ['aws:RequestTag/eks-cluster-name', 'aws:RequestTag/kubernetes-namespace', 'aws:RequestTag/kubernetes-service-account'];
      if (keys.some((k) => typeof eq[k] !== 'string')) problems.push(`${name}: a Pod Identity trust statement without one cluster, namespace and ServiceAccount (${JSON.stringify(s.Condition ?? {})})`);
      else trusted.add(keys.map((k) => eq[k]).join('|'));
    }
    if (pods.length === 0 && !bound.has(name)) continue; // not a pod role
    const want = [...(bound.get(name) ?? [])].sort();
    if (JSON.stringify([...trusted].sort()) !== JSON.stringify(want)) {
      problems.push(`${name}: trusts ${JSON.stringify([...trusted].sort())}, associated with ${JSON.stringify(want)}`);
    }
  }
  return problems;
}

/** GKE: each workloadIdentityUser member is one KSA of the project's pool, and the bound KSA is the only one. */
function gcpMemberProblems(json: Json, expected: Record<string, string>): string[] {
  const problems: string[] = [];
  const members = new Map<string, string[]>();
  for (const [name, m] of resources(json, 'google_service_account_iam_member')) {
    if (m.role !== 'roles/iam.workloadIdentityUser') continue;
    if (!/^serviceAccount:acme-ml\.svc\.id\.goog\[[a-z0-9-]+\/[a-z0-9-]+\]$/.test(m.member)) problems.push(`${name}: member ${m.member} is not one ServiceAccount`);
    const sa = refName(m.service_account_id, 'google_service_account') ?? String(m.service_account_id);
    members.set(sa, [...(members.get(sa) ?? []), m.member]);
  }
  for (const [sa, ksa] of Object.entries(expected)) {
    const got = [...members.entries()].find(([k]) => k.startsWith(sa))?.[1] ?? [];
    if (JSON.stringify(got) !== JSON.stringify([`serviceAccount:acme-ml.svc.id.goog[${ksa}]`])) problems.push(`${sa}: members ${JSON.stringify(got)}, expected ${ksa} only`);
  }
  return problems;
}

/** AKS: each federated credential names the cluster's issuer, the token-exchange audience and one ServiceAccount. */
function azureSubjectProblems(json: Json, expected: Record<string, string>): string[] {
  const problems: string[] = [];
  const subjects = new Map<string, string[]>();
  for (const [name, c] of resources(json, 'azurerm_federated_identity_credential')) {
    if (!/^system:serviceaccount:[a-z0-9-]+:[a-z0-9-]+$/.test(c.subject)) problems.push(`${name}: subject ${c.subject} is not one ServiceAccount`);
    if (!/^\$\{azurerm_kubernetes_cluster\.[^.]+\.oidc_issuer_url\}$/.test(c.issuer)) problems.push(`${name}: issuer ${c.issuer} is not the cluster's`);
    if (JSON.stringify(c.audience) !== '["api://AzureADTokenExchange"]') problems.push(`${name}: audience ${JSON.stringify(c.audience)}`);
    const id = refName(c.parent_id, 'azurerm_user_assigned_identity') ?? String(c.parent_id);
    subjects.set(id, [...(subjects.get(id) ?? []), c.subject]);
  }
  for (const [identity, ksa] of Object.entries(expected)) {
    const got = [...subjects.entries()].find(([k]) => k.startsWith(identity))?.[1] ?? [];
    if (JSON.stringify(got) !== JSON.stringify([`system:serviceaccount:${ksa.replace('/', ':')}`])) problems.push(`${identity}: subjects ${JSON.stringify(got)}, expected ${ksa} only`);
  }
  return problems;
}

/** The grant resource type of each cloud, and the attribute that names the identity it grants to. */
const GRANTS = {
  aws: ['aws_iam_role_policy', 'role', 'aws_iam_role'],
  gcp: ['google_storage_bucket_iam_member', 'member', 'google_service_account'],
  azure: ['azurerm_role_assignment', 'principal_id', 'azurerm_user_assigned_identity'],
} as const;

/** The grants (resources of the cloud's grant type) to the identity whose resource name starts with `identity`. */
function grantsTo(json: Json, cloud: keyof typeof clouds, identity: string): [string, Json][] {
  const [type, attr, identityType] = GRANTS[cloud];
  return resources(json, type).filter(([, r]) => refName(r[attr], identityType)?.startsWith(identity));
}

/** The bucket grants of `identity` (a resource name prefix) stay under `prefix`, by the cloud's condition keys. */
function prefixProblems(json: Json, cloud: keyof typeof clouds, identity: string, prefix: string): string[] {
  const problems: string[] = [];
  if (cloud === 'aws') {
    for (const [name, p] of grantsTo(json, cloud, identity)) {
      for (const s of JSON.parse(p.policy).Statement as Json[]) {
        const actions = ([] as string[]).concat(s.Action);
        if (actions.some((a) => a.startsWith('s3:ListBucket')) && JSON.stringify(s.Condition?.StringLike?.['s3:prefix']) !== JSON.stringify([`${prefix}*`])) {
          problems.push(`${name}/${s.Sid}: listing not limited by s3:prefix ${prefix}*`);
        }
        if (actions.some((a) => /^s3:(Get|Put|Delete)Object/.test(a)) && !([] as string[]).concat(s.Resource).every((r) => r.endsWith(`/${prefix}*`))) {
          problems.push(`${name}/${s.Sid}: objects outside ${prefix}: ${JSON.stringify(s.Resource)}`);
        }
      }
    }
  } else if (cloud === 'gcp') {
    for (const [name, m] of grantsTo(json, cloud, identity)) {
      const expr = String(m.condition?.expression ?? '');
      if (!expr.includes(`/objects/${prefix}")`) || !expr.includes(`objectListPrefix", "").startsWith("${prefix}")`)) problems.push(`${name}: condition ${expr || 'none'} is not ${prefix}`);
    }
  } else {
    for (const [name, a] of grantsTo(json, cloud, identity)) {
      const cond = String(a.condition ?? '');
      if (!cond.includes(`:path] StringStartsWith '${prefix}'`) || !cond.includes(`:prefix] StringStartsWith '${prefix}'`) || a.condition_version !== '2.0') {
        problems.push(`${name}: condition ${cond || 'none'} is not ${prefix}`);
      }
    }
  }
  if (grantsTo(json, cloud, identity).length === 0) problems.push(`${identity}: no bucket grant found`);
  return problems;
}

const clone = (json: Json): Json => JSON.parse(JSON.stringify(json));

describe('cloud identity federation: a token federates to its own ServiceAccount\'s identity only', () => {
  const json = { aws: platform(clouds.aws()), gcp: platform(clouds.gcp()), azure: platform(clouds.azure()) };

  test('AWS: each role trusts exactly the ServiceAccounts associated with it (EKS Pod Identity session tags)', () => {
    expect(awsTrustProblems(json.aws)).toEqual([]);
    const research = resources(json.aws, 'aws_iam_role').find(([n]) => n.startsWith('train_research_Identity'))!;
    expect(JSON.parse(research[1].assume_role_policy).Statement).toEqual([expect.objectContaining({
      Condition: { StringEquals: {
        'aws:RequestTag/eks-cluster-name': expect.stringMatching(/^\$\{aws_eks_cluster\.train_[0-9A-F]+\.name\}$/),
        'aws:RequestTag/kubernetes-namespace': 'research', 'aws:RequestTag/kubernetes-service-account': 'tenant',
      } },
    })]);
    // fixtures: a trust statement without conditions (what roles had before), and one naming another ServiceAccount
    const open = clone(json.aws);
    const role = resources(open, 'aws_iam_role').find(([n]) => n.startsWith('train_research_Identity'))![1];
    role.assume_role_policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'] }] });
    expect(awsTrustProblems(open)).toEqual([expect.stringMatching(/^train_research_Identity.*without one cluster, namespace and ServiceAccount/), expect.stringMatching(/trusts \[\], associated with/)]);
    const other = clone(json.aws);
    const assoc = resources(other, 'aws_eks_pod_identity_association').find(([, a]) => a.namespace === 'research' && a.service_account === 'tenant')![1];
    assoc.namespace = 'vision';
    expect(awsTrustProblems(other)).toEqual([expect.stringMatching(/^train_research_Identity.*trusts .*research\|tenant.*associated with .*vision\|tenant/)]);
  });

  test('AWS: a role bound to nothing trusts no pod', () => {
    expect(podIdentityTrustPolicy([]).Statement).toEqual([{ Sid: 'NotBoundToAServiceAccount', Effect: 'Deny', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
  });

  test('GKE: each Google service account admits its own Kubernetes ServiceAccount only (Workload Identity member)', () => {
    const expected = { train_research_Identity: 'research/tenant', train_vision_Identity: 'vision/tenant', pretrain_Identity: 'research/pretrain' };
    expect(gcpMemberProblems(json.gcp, expected)).toEqual([]);
    const broad = clone(json.gcp);
    const member = resources(broad, 'google_service_account_iam_member').find(([, m]) => String(m.member).includes('[vision/tenant]'))![1];
    member.member = 'serviceAccount:acme-ml.svc.id.goog[research/tenant]';
    expect(gcpMemberProblems(broad, expected)).toEqual([expect.stringMatching(/^train_vision_Identity: members .*research\/tenant.*expected vision\/tenant only/)]);
    const pool = clone(json.gcp);
    resources(pool, 'google_service_account_iam_member').find(([, m]) => String(m.member).includes('[vision/tenant]'))![1].member = 'principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/acme-ml.svc.id.goog/namespace/vision';
    expect(gcpMemberProblems(pool, expected)[0]).toMatch(/is not one ServiceAccount/);
  });

  test('AKS: each managed identity federates the cluster issuer\'s token of its own ServiceAccount only', () => {
    const expected = { train_research_Identity: 'research/tenant', train_vision_Identity: 'vision/tenant', pretrain_Identity: 'research/pretrain' };
    expect(azureSubjectProblems(json.azure, expected)).toEqual([]);
    const wrong = clone(json.azure);
    const cred = resources(wrong, 'azurerm_federated_identity_credential').find(([, c]) => c.subject === 'system:serviceaccount:vision:tenant')![1];
    cred.subject = 'system:serviceaccount:research:tenant';
    cred.issuer = 'https://token.actions.githubusercontent.com';
    expect(azureSubjectProblems(wrong, expected)).toEqual([
      expect.stringMatching(/issuer https:\/\/token\.actions\.githubusercontent\.com is not the cluster's/),
      expect.stringMatching(/^train_vision_Identity: subjects .*research:tenant.*expected vision\/tenant only/),
    ]);
  });

  test.each(Object.keys(clouds) as (keyof typeof clouds)[])('%s: tenant identities reach their own bucket prefix only', (cloud) => {
    expect(prefixProblems(json[cloud], cloud, 'train_research_Identity', 'research/')).toEqual([]);
    expect(prefixProblems(json[cloud], cloud, 'train_vision_Identity', 'vision/')).toEqual([]);
    // the fixture: the research tenant's grants checked against the vision prefix fail
    expect(prefixProblems(json[cloud], cloud, 'train_research_Identity', 'vision/').length).toBeGreaterThan(0);
  });
});
