// Issue 15 item 6: where receiver credentials flow. The self-managed backend never reads them in Terraform
// (Alertmanager mounts them at runtime: test/monitoring/self-managed.test.ts); wherever a secret value does pass
// through Terraform (managed backends' cloud channels, the generated Grafana admin password), it is marked
// sensitive, and synth says which secrets the plan reads.
import { Testing } from 'cdktf';
import { MonitoringStack } from '../../src/monitoring/monitoring-stack';
import { MonitoringBackend } from '../../src/monitoring/types';
import { CLOUDS, CloudName, fixture } from './helpers';

const KEY_VAULT = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ops/providers/Microsoft.KeyVault/vaults/ops-kv';
/** Attributes of the secret data sources that hold a secret's value. */
const SECRET_VALUE = /data\.(aws_secretsmanager_secret_version|google_secret_manager_secret_version|azurerm_key_vault_secret)\.[A-Za-z0-9_-]+\.(secret_string|secret_data|value)\b/g;

function build(cloudName: CloudName, backend: MonitoringBackend) {
  const f = fixture(cloudName);
  const secret = (secretName: string) => ({ secretName, ...(cloudName === 'azure' ? { keyVaultId: KEY_VAULT } : {}) });
  const monitoring = new MonitoringStack(f.stack, 'obs', {
    cluster: f.cluster, backend,
    routing: { receivers: [{ name: 'oncall', pagerDutyRoutingKey: secret('pagerduty-key'), webhookUrl: secret('hook-url') }] },
  });
  return { monitoring, text: Testing.synth(f.stack) };
}

describe.each(Object.keys(CLOUDS) as CloudName[])('secret values on %s', (cloudName) => {
  test.each(['self-managed', 'managed'] as const)('%s: every secret value Terraform handles is wrapped in sensitive()', (backend) => {
    const { text } = build(cloudName, backend);
    const uses = [...text.matchAll(SECRET_VALUE)];
    if (backend === 'managed') expect(uses.length).toBeGreaterThan(0);
    for (const m of uses) {
      const before = text.slice(Math.max(0, m.index! - 'sensitive('.length), m.index!);
      expect({ use: m[0], wrapped: before }).toEqual({ use: m[0], wrapped: 'sensitive(' });
    }
  });

  test('synth says where the credentials are read: at plan for managed channels, at runtime for Alertmanager', () => {
    const info = (m: MonitoringStack) => m.node.metadata.filter((e) => e.type === '@cdktf/info').map((e) => String(e.data)).join('\n');
    expect(info(build(cloudName, 'managed').monitoring)).toMatch(/reads hook-url, pagerduty-key with data sources at plan time.*plan identity needs read access.*stored in state \(marked sensitive\)/);
    expect(info(build(cloudName, 'self-managed').monitoring)).toMatch(/Alertmanager reads receiver credentials \(hook-url, pagerduty-key\) from the cloud's secret manager at runtime; Terraform never reads them/);
  });
});
