import { terraformRule } from '../../rule';
import { dig, isSet } from '../../util';

/** AI-GCP-GKE-3: Kubernetes secrets are encrypted at the application layer with Cloud KMS. */
export const GkeSecretsEncryption = terraformRule({
  id: 'AI-GCP-GKE-3',
  severity: 'error',
  title: 'GKE application-layer secrets encryption with Cloud KMS',
  rationale: 'Secrets in etcd (endpoint API keys, tokens) are then encrypted with a key you control.',
  remediation: 'Set database_encryption { state = "ENCRYPTED", key_name = <crypto key id> }.',
  resourceTypes: ['google_container_cluster'],
  check(cluster) {
    const state = dig(cluster.attrs, 'database_encryption', 'state');
    return state === 'ENCRYPTED' && isSet(dig(cluster.attrs, 'database_encryption', 'key_name')) ? undefined : 'database_encryption is not ENCRYPTED with a key';
  },
});
