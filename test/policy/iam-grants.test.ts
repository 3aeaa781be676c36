// IAM grants of the example platforms (issue 21): every AWS policy statement and managed policy attachment, GCP
// binding and Azure role assignment, listed by src/policy/grants.ts. A broad grant (`Resource: "*"`, a managed
// policy, a project- or subscription-level binding, a write/admin role) must have a reason in
// BROAD_GRANT_REASONS, and a `Resource: "*"` write must carry a tag condition; the fixtures show an unexplained
// broad grant is caught. The counts are the README's (Security).
import { Testing } from 'cdktf';
import { buildPlatformApp } from '../../examples/platform/platform';
import { Grant, listGrants, readOnly, reasonsFor } from '../../src/policy/grants';

const stacks = buildPlatformApp(Testing.app()).map((s) => ({ id: s.node.id, json: JSON.parse(Testing.synth(s)) as Parameters<typeof listGrants>[0] }));
const grants = Object.fromEntries(stacks.map((s) => [s.id, listGrants(s.json)]));
const count = (gs: Grant[], kind: string) => gs.filter((g) => g.broad.includes(kind as never)).length;

describe('IAM grants of the example platforms', () => {
  test('the figures: grants, Resource "*", managed policies, project/subscription-level bindings, write/admin roles per stack', () => {
    const figures = Object.fromEntries(Object.entries(grants).map(([id, gs]) => [id, {
      grants: gs.length,
      resourceStar: count(gs, 'resource-star'),
      resourceStarWrite: gs.filter((g) => g.broad.includes('resource-star') && !readOnly(g)).length,
      managedPolicy: count(gs, 'managed-policy'),
      projectOrSubscription: count(gs, 'project-level') + count(gs, 'subscription-level'),
      writeAdminRole: count(gs, 'write-admin-role'),
    }]));
    expect(figures).toEqual({
      'platform-aws': { grants: 72, resourceStar: 6, resourceStarWrite: 4, managedPolicy: 4, projectOrSubscription: 0, writeAdminRole: 0 },
      'platform-gcp': { grants: 37, resourceStar: 0, resourceStarWrite: 0, managedPolicy: 0, projectOrSubscription: 2, writeAdminRole: 0 },
      'platform-azure': { grants: 24, resourceStar: 0, resourceStarWrite: 0, managedPolicy: 0, projectOrSubscription: 0, writeAdminRole: 4 },
    });
  });

  test('every broad grant has its reason; every Resource "*" write is limited by a tag condition naming the cluster', () => {
    const missing = Object.values(grants).flat().flatMap((g) => Object.entries(reasonsFor(g)).filter(([, r]) => !r).map(([kind]) => `${g.address} ${g.what}: ${kind}`));
    expect(missing).toEqual([]);
    const writes = Object.values(grants).flat().filter((g) => g.broad.includes('resource-star') && !readOnly(g));
    for (const g of writes) expect({ what: g.what, condition: JSON.stringify(g.condition) }).toEqual({ what: g.what, condition: expect.stringMatching(/aws:(Resource|Request)Tag\/(k8s\.io\/cluster-autoscaler\/|elbv2\.k8s\.aws\/cluster)/) });
  });

  test('fixtures: a Resource "*" write without a condition, an Owner role on a resource group and a project-level editor are flagged', () => {
    const fixture = {
      resource: {
        aws_iam_role_policy: { p: { policy: JSON.stringify({ Statement: [{ Sid: 'PutAnything', Effect: 'Allow', Action: ['s3:PutObject'], Resource: '*' }] }) } },
        azurerm_role_assignment: { a: { role_definition_name: 'Owner', scope: '/subscriptions/0000/resourceGroups/rg' } },
        google_project_iam_member: { m: { role: 'roles/editor', member: 'serviceAccount:x' } },
      },
    };
    const gs = listGrants(fixture as never);
    expect(gs.map((g) => [g.what, g.broad])).toEqual([
      ['PutAnything', ['resource-star']], ['roles/editor', ['project-level', 'write-admin-role']], ['Owner', ['subscription-level', 'write-admin-role']],
    ]);
    expect(gs.map((g) => Object.values(reasonsFor(g)).every((r) => r === undefined))).toEqual([true, true, true]);
    // and a read-only Resource "*" (Describe calls) is explained without a condition
    const describe = listGrants({ resource: { aws_iam_role_policy: { d: { policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: ['ec2:DescribeInstances'], Resource: '*' }] }) } } } } as never);
    expect(Object.values(reasonsFor(describe[0]))).toEqual([expect.stringContaining('no resource-level permissions')]);
  });
});
