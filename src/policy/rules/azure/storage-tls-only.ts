import { terraformRule } from '../../rule';
import { isOff } from '../../util';

/** AI-AZ-ST-1: storage accepts HTTPS only, TLS 1.2 or newer. */
export const StorageTlsOnly = terraformRule({
  id: 'AI-AZ-ST-1',
  severity: 'error',
  title: 'Storage account HTTPS only with TLS 1.2+',
  rationale: 'Plain HTTP or TLS 1.0/1.1 exposes checkpoints and tokens in transit.',
  remediation: 'Leave https_traffic_only_enabled true and min_tls_version "TLS1_2" (the defaults).',
  checkov: ['CKV_AZURE_3', 'CKV_AZURE_44'],
  resourceTypes: ['azurerm_storage_account'],
  check(account) {
    const problems: string[] = [];
    if (isOff(account.attrs.https_traffic_only_enabled)) problems.push('https_traffic_only_enabled = false');
    const tls = account.attrs.min_tls_version;
    if (tls === 'TLS1_0' || tls === 'TLS1_1') problems.push(`min_tls_version = ${tls}`);
    return problems.length ? problems.join('; ') : undefined;
  },
});
