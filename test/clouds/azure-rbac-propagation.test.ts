import { Testing } from 'cdktf';
import { buildPlatformApp } from '../../examples/platform/platform';
import { azure, clusterJson, Json } from '../training/cluster-helpers';
import { dependencyGraph, dependsOn, elements, waitsFor } from './graph';

/**
 * Issue 15 item 7: on a fresh apply, a role assignment exists before it is effective. Whatever uses a role
 * (Key Vault keys and secrets the deployer writes, storage accounts and AKS reading their keys, helm
 * releases calling the API server as the deployer) waits for a time_sleep after the assignment.
 */
function checkPropagation(json: Json): void {
  const all = elements(json);
  const graph = dependencyGraph(json);
  const assignments = [...all.keys()].filter((a) => a.startsWith('azurerm_role_assignment.'));
  const sleeps = [...all.entries()].filter(([a]) => a.startsWith('time_sleep.'));
  // Nothing uses a role assignment directly: only a propagation wait depends on it.
  for (const [address, body] of all) {
    if (address.startsWith('time_sleep.')) continue;
    const direct = dependsOn(body).filter((d) => d.startsWith('azurerm_role_assignment.'));
    expect({ address, dependsOnAssignments: direct }).toEqual({ address, dependsOnAssignments: [] });
  }
  for (const [, s] of sleeps) {
    expect(Number(/^(\d+)s$/.exec(s.create_duration)![1])).toBeGreaterThanOrEqual(60);
    expect(s.provider).toBe('time');
  }
  const waitedAssignment = (from: string, pick: (assignment: Json) => boolean): boolean => sleeps.some(([sleep, body]) =>
    waitsFor(graph, from, sleep) && dependsOn(body).some((a) => assignments.includes(a) && pick(all.get(a))));
  const deployer = (a: Json) => /azurerm_client_config\.[^.]+\.object_id/.test(a.principal_id);

  // Keys and secrets Terraform writes: after the deployer's role on their vault is effective.
  const writes = [...all.keys()].filter((a) => /^azurerm_key_vault_(key|secret)\./.test(a));
  expect(writes.length).toBeGreaterThan(0);
  for (const w of writes) {
    const vault = /azurerm_key_vault\.[A-Za-z0-9_-]+/.exec(all.get(w).key_vault_id)![0];
    expect({ w, waits: waitedAssignment(w, (a) => deployer(a) && a.scope.includes(`${vault}.id`)) }).toEqual({ w, waits: true });
  }
  // Helm releases: after the deployer's AKS RBAC Cluster Admin assignment is effective.
  const releases = [...all.keys()].filter((a) => a.startsWith('helm_release.'));
  expect(releases.length).toBeGreaterThan(0);
  for (const r of releases) {
    expect({ r, waits: waitedAssignment(r, (a) => deployer(a) && a.role_definition_name === 'Azure Kubernetes Service RBAC Cluster Admin') })
      .toEqual({ r, waits: true });
  }
  // AKS and storage accounts read their customer-managed keys at creation.
  for (const c of [...all.keys()].filter((a) => /^azurerm_(kubernetes_cluster|storage_account)\./.test(a))) {
    expect({ c, waits: waitedAssignment(c, (a) => /Key Vault Crypto (Service Encryption )?User/.test(a.role_definition_name ?? '')) })
      .toEqual({ c, waits: true });
  }
  expect(json.terraform.required_providers.time).toEqual({ source: 'hashicorp/time', version: '~> 0.13' });
}

describe('Azure role assignments are effective before their first use (issue 15 item 7)', () => {
  test('a cluster: keys, the control plane, the add-on releases', () => {
    const { json } = clusterJson({ cloud: azure() });
    checkPropagation(json);
    const adminWait = Object.values(json.resource.time_sleep as Record<string, Json>)
      .find((s) => (s.depends_on as string[]).some((d) => d.includes('DeployerClusterAdmin')));
    expect(adminWait.create_duration).toBe('120s');
  });

  test('the example platform: backup accounts, API-key vaults, monitoring, workloads', () => {
    const stack = buildPlatformApp(Testing.app()).find((s) => s.node.id === 'platform-azure')!;
    checkPropagation(JSON.parse(Testing.synth(stack)));
  });
});
