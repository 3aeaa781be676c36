// Every IAM grant of a synthesized stack (issue 21), and the reason each broad one stays: a statement with
// `Resource: "*"`, an AWS managed policy attachment, a project- or subscription-level binding, or a write/admin
// role. `listGrants` reads cdk.tf.json; `BROAD_GRANT_REASONS` holds the reasons (README, Security: the table);
// test/policy/iam-grants.test.ts lists the example platforms' grants and fails on a broad one without a reason.

/** One grant: an AWS policy statement or managed policy attachment, a GCP IAM binding, an Azure role assignment. */
export interface Grant {
  /** `<terraform type>.<name>`. */
  readonly address: string;
  /** Construct path of the resource. */
  readonly path: string;
  /** AWS statement Sid, managed policy name, GCP role or Azure role name. */
  readonly what: string;
  /** Actions of an AWS statement (empty for roles). */
  readonly actions: readonly string[];
  /** Resource or scope as written (Terraform references kept). */
  readonly scope: string;
  readonly condition?: unknown;
  /** Why it counts as broad (empty: scoped to named resources with a narrow role). */
  readonly broad: readonly BroadKind[];
}

export type BroadKind = 'resource-star' | 'managed-policy' | 'project-level' | 'subscription-level' | 'write-admin-role';

/** The reason a broad grant stays, for grants `match` selects. */
export interface BroadGrantReason {
  readonly kind: BroadKind;
  readonly match: (g: Grant) => boolean;
  readonly reason: string;
}

type Json = Record<string, unknown>;
const READ_ACTION = /^[a-z0-9-]+:(Describe|List|Get)[A-Za-z]*$/;
const ADMIN_ROLE = /(Admin|Administrator|Owner|Officer)\b|^roles\/(owner|editor)$|\.admin$/;

function pathOf(body: Json): string {
  return String(((body['//'] as Json | undefined)?.metadata as Json | undefined)?.path ?? '');
}

function statementsOf(policy: unknown): Json[] {
  if (typeof policy !== 'string') return [];
  try {
    const doc = JSON.parse(policy) as { Statement?: Json | Json[] };
    return Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
  } catch {
    return []; // a policy built by a Terraform expression: not readable at synth
  }
}

function awsGrants(resources: Record<string, Record<string, Json>>): Grant[] {
  const out: Grant[] = [];
  for (const type of ['aws_iam_role_policy', 'aws_iam_policy']) {
    for (const [name, body] of Object.entries(resources[type] ?? {})) {
      statementsOf(body.policy).filter((s) => s.Effect === 'Allow').forEach((s, i) => {
        const actions = ([] as string[]).concat(s.Action as string | string[]);
        const res = ([] as string[]).concat((s.Resource ?? '*') as string | string[]);
        out.push({
          address: `${type}.${name}`, path: pathOf(body), what: String(s.Sid ?? `statement ${i}`), actions, scope: res.join(', '), condition: s.Condition,
          broad: res.includes('*') ? ['resource-star'] : [],
        });
      });
    }
  }
  for (const [name, body] of Object.entries(resources.aws_iam_role_policy_attachment ?? {})) {
    const arn = String(body.policy_arn);
    out.push({ address: `aws_iam_role_policy_attachment.${name}`, path: pathOf(body), what: arn.split('/').pop() ?? arn, actions: [], scope: arn,
      broad: /:iam::aws:policy\//.test(arn) ? ['managed-policy'] : [] });
  }
  return out;
}

function gcpGrants(resources: Record<string, Record<string, Json>>): Grant[] {
  const out: Grant[] = [];
  for (const [type, bodies] of Object.entries(resources)) {
    if (!/^google_.*_iam_(member|binding)$/.test(type)) continue;
    for (const [name, body] of Object.entries(bodies)) {
      const role = String(body.role);
      const broad: BroadKind[] = [];
      if (/^google_(project|folder|organization)_iam_/.test(type)) broad.push('project-level');
      if (ADMIN_ROLE.test(role)) broad.push('write-admin-role');
      out.push({ address: `${type}.${name}`, path: pathOf(body), what: role, actions: [], scope: type.replace(/^google_|_iam_(member|binding)$/g, ''), condition: body.condition, broad });
    }
  }
  return out;
}

function azureGrants(resources: Record<string, Record<string, Json>>): Grant[] {
  return Object.entries(resources.azurerm_role_assignment ?? {}).map(([name, body]) => {
    const role = String(body.role_definition_name ?? body.role_definition_id);
    const scope = String(body.scope);
    const broad: BroadKind[] = [];
    // a subscription or a resource group (no provider segment): every resource in it
    if (/^\/subscriptions\/[^/]+(\/resourceGroups\/[^/]+)?\/?$/i.test(scope)) broad.push('subscription-level');
    if (ADMIN_ROLE.test(role)) broad.push('write-admin-role');
    return { address: `azurerm_role_assignment.${name}`, path: pathOf(body), what: role, actions: [], scope, condition: body.condition, broad };
  });
}

/** Every grant of a synthesized stack (cdk.tf.json). KMS key policies are not listed: their `Resource: "*"` is the key itself. */
export function listGrants(stack: { resource?: Record<string, Record<string, Json>> }): Grant[] {
  const r = stack.resource ?? {};
  return [...awsGrants(r), ...gcpGrants(r), ...azureGrants(r)];
}

/** Whether an AWS statement grants only read calls (Describe*, List*, Get*). */
export function readOnly(g: Grant): boolean {
  return g.actions.length > 0 && g.actions.every((a) => READ_ACTION.test(a));
}

/** Whether an AWS statement is limited by a tag condition naming this cluster. */
function ownTagged(g: Grant): boolean {
  return /aws:(Resource|Request)Tag\//.test(JSON.stringify(g.condition ?? {}));
}

/** A grant to the deploying principal (construct id `Deployer...`; the path is absent where synth records no metadata). */
function deployerGrant(g: Grant): boolean {
  return /\/Deployer[A-Za-z]*$/.test(g.path) || /_Deployer[A-Za-z]*_[0-9A-F]{8}$/.test(g.address);
}

export const BROAD_GRANT_REASONS: readonly BroadGrantReason[] = [
  {
    kind: 'resource-star', match: readOnly,
    reason: 'Describe/List/Get calls (EC2, Auto Scaling, ELB, EKS) that support no resource-level permissions: AWS documents `Resource: "*"` for them.',
  },
  {
    kind: 'resource-star', match: (g) => !readOnly(g) && ownTagged(g),
    reason: 'Write calls on Auto Scaling groups, security groups and load balancers whose ARNs hold ids unknown at synth; limited by a tag condition '
      + 'to the ones owned by this cluster (cluster-autoscaler `k8s.io/cluster-autoscaler/<cluster>: owned`, the load balancer controller `elbv2.k8s.aws/cluster`).',
  },
  {
    kind: 'managed-policy', match: (g) => ['AmazonEKSClusterPolicy', 'AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy', 'AmazonEC2ContainerRegistryPullOnly'].includes(g.what),
    reason: 'The AWS managed policies EKS requires on the cluster role and the node role (AWS keeps them current with new EKS features); the node role '
      + 'is not a pod identity: pods get their own roles through Pod Identity / IRSA, and IMDS is limited to one hop.',
  },
  {
    kind: 'project-level', match: (g) => g.what === 'roles/container.defaultNodeServiceAccount',
    reason: 'GKE\'s minimum role for a custom node service account (logging, monitoring, metadata): Google grants it at project level only.',
  },
  {
    kind: 'project-level', match: (g) => g.what === 'roles/artifactregistry.reader',
    reason: 'Nodes pull the platform images from every Artifact Registry repository of the project (a repository per image construct, and users\' own); '
      + 'read-only, to the node service account only (pods use their own Workload Identity).',
  },
  {
    kind: 'write-admin-role', match: (g) => /^Key Vault (Crypto|Secrets) Officer$/.test(g.what) && deployerGrant(g),
    reason: 'The deploying principal creates the vault\'s keys and writes secrets (write-only arguments) in a vault this stack owns; RBAC vaults need a data-plane role for that.',
  },
  {
    kind: 'write-admin-role', match: (g) => g.what === 'Azure Kubernetes Service RBAC Cluster Admin' && deployerGrant(g),
    reason: 'The deploying principal applies the platform\'s Helm releases (CRDs, ClusterRoles, namespaces) to the cluster this stack creates (local accounts are off).',
  },
];

/** The reasons that cover `g`, one per broad kind (undefined entries: not covered). */
export function reasonsFor(g: Grant): Record<string, string | undefined> {
  return Object.fromEntries(g.broad.map((kind) => [kind, BROAD_GRANT_REASONS.find((r) => r.kind === kind && r.match(g))?.reason]));
}
