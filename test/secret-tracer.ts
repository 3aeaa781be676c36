/**
 * The secret tracer (issue 21 item 3): finds secret values that a synthesized stack routes through Terraform,
 * i.e. values Terraform keeps in state or that end up in Helm values / chart objects:
 * - data sources and ephemeral-less resources whose attributes hold a secret (their values are stored in state,
 *   marked sensitive or not), and every reference to such an attribute;
 * - secret arguments set on resources (not the write-only `*_wo` form, which Terraform never stores);
 * - literal secrets under credential-like keys (a password in a provider block, a Helm value);
 * - Kubernetes Secrets with data in a chart's templates or values (Helm keeps them in its release, the
 *   helm_release in state).
 * Ephemeral resources (`ephemeral.*`) and write-only arguments are not findings: Terraform stores neither.
 * A data source is a finding by its type alone: the configuration only declares it, but Terraform keeps every
 * attribute it reads in state, and image push credentials (ECR authorization token, Google OAuth access token,
 * ACR token or admin passwords) are no exception.
 */
import { parseAllDocuments } from 'yaml';

/** Attributes that hold a secret value, by data source type (Terraform stores data source results in state). */
export const SECRET_DATA_ATTRIBUTES: Record<string, readonly string[]> = {
  aws_secretsmanager_secret_version: ['secret_string', 'secret_binary'],
  aws_secretsmanager_random_password: ['random_password'],
  aws_ssm_parameter: ['value', 'insecure_value'],
  aws_kms_secrets: ['plaintext'],
  aws_ecr_authorization_token: ['password', 'authorization_token'],
  aws_eks_cluster_auth: ['token'],
  google_secret_manager_secret_version: ['secret_data'],
  google_secret_manager_secret_version_access: ['secret_data'],
  google_client_config: ['access_token'],
  google_service_account_access_token: ['access_token'],
  azurerm_key_vault_secret: ['value'],
  azurerm_kubernetes_cluster: ['kube_config', 'kube_admin_config', 'kube_config_raw', 'kube_admin_config_raw'],
  azurerm_storage_account: ['primary_access_key', 'secondary_access_key', 'primary_connection_string'],
  azurerm_container_registry: ['admin_password'],
};

/** Secret arguments / attributes of managed resources (stored in state when set or computed). */
export const SECRET_RESOURCE_ATTRIBUTES: Record<string, readonly string[]> = {
  random_password: ['result', 'bcrypt_hash'],
  aws_secretsmanager_secret_version: ['secret_string', 'secret_binary'],
  aws_ssm_parameter: ['value', 'insecure_value'],
  aws_iam_access_key: ['secret', 'ses_smtp_password_v4'],
  google_secret_manager_secret_version: ['secret_data'],
  google_service_account_key: ['private_key'],
  azurerm_key_vault_secret: ['value'],
  azurerm_storage_account: ['primary_access_key', 'secondary_access_key', 'primary_connection_string', 'secondary_connection_string'],
  tls_private_key: ['private_key_pem', 'private_key_openssh', 'private_key_pem_pkcs8'],
  azurerm_container_registry_token_password: ['password1', 'password2'],
  azurerm_container_registry: ['admin_password'],
  helm_release: ['set_sensitive'],
  kubernetes_secret: ['data'],
  kubernetes_secret_v1: ['data'],
};

/** Keys whose literal (non-reference) string value is a credential wherever it appears. */
const CREDENTIAL_KEY = /^(password|passwd|admin[-_]?password|client_secret|api[-_]?key|access_token|private_key|secret_string|secret_data|adminPassword)$/i;

export interface SecretFinding {
  /** Stack-relative file and JSON/YAML path. */
  readonly at: string;
  readonly what: string;
}

type Json = unknown;

function walk(node: Json, at: string, visit: (value: Json, at: string, key: string) => void, key = ''): void {
  visit(node, at, key);
  if (Array.isArray(node)) node.forEach((v, i) => walk(v, `${at}[${i}]`, visit, key));
  else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, `${at}.${k}`, visit, k);
}

/** Resources whose generated secret is an attribute Terraform stores. */
const GENERATES_SECRET = new Set(['random_password', 'tls_private_key', 'aws_iam_access_key', 'google_service_account_key', 'azurerm_container_registry_token_password']);

const isWriteOnly = (key: string) => /_wo$/.test(key) || /_wo_version$/.test(key);

/** Findings in one synthesized Terraform JSON configuration (cdk.tf.json). */
export function traceTerraform(config: Record<string, Json>, file = 'cdk.tf.json'): SecretFinding[] {
  const findings: SecretFinding[] = [];
  const data = (config.data ?? {}) as Record<string, Record<string, Json>>;
  const resources = (config.resource ?? {}) as Record<string, Record<string, Record<string, Json>>>;
  for (const [type, byName] of Object.entries(data)) {
    if (!SECRET_DATA_ATTRIBUTES[type]) continue;
    for (const name of Object.keys(byName)) findings.push({ at: `${file}:data.${type}.${name}`, what: `data source ${type} stores ${SECRET_DATA_ATTRIBUTES[type].join('/')} in state` });
  }
  for (const [type, byName] of Object.entries(resources)) {
    const attrs = SECRET_RESOURCE_ATTRIBUTES[type];
    if (!attrs) continue;
    for (const [name, body] of Object.entries(byName)) {
      if (GENERATES_SECRET.has(type)) {
        findings.push({ at: `${file}:resource.${type}.${name}`, what: `${type} keeps its generated secret in state` });
        continue;
      }
      if (type === 'azurerm_container_registry') {
        if (body?.admin_enabled === true) findings.push({ at: `${file}:resource.${type}.${name}.admin_enabled`, what: `${type} with the admin user keeps admin_password in state` });
        continue;
      }
      for (const attr of attrs) {
        const v = body?.[attr];
        if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) {
          findings.push({ at: `${file}:resource.${type}.${name}.${attr}`, what: `${type}.${attr} is set: stored in state (use the write-only ${attr}_wo)`});
        }
      }
    }
  }
  // References to secret attributes, and literal credentials, anywhere in the configuration.
  const refPattern = new RegExp(`\\b(data\\.)?(${[...new Set([...Object.keys(SECRET_DATA_ATTRIBUTES), ...Object.keys(SECRET_RESOURCE_ATTRIBUTES)])].join('|')})\\.([A-Za-z0-9_-]+)\\.([a-z0-9_]+)`, 'g');
  walk(config, file, (value, at, key) => {
    if (typeof value !== 'string') return;
    if (isWriteOnly(key)) return; // write-only: never stored; its source is checked on its own
    for (const m of value.matchAll(refPattern)) {
      const isData = m[1] === 'data.';
      const table = isData ? SECRET_DATA_ATTRIBUTES : SECRET_RESOURCE_ATTRIBUTES;
      if (!isData && /ephemeral\.$/.test(value.slice(0, m.index))) continue;
      if (table[m[2]]?.includes(m[4])) findings.push({ at, what: `references ${m[0]}` });
    }
    if (CREDENTIAL_KEY.test(key) && value !== '' && !/^\$\{/.test(value)) findings.push({ at, what: `literal credential under "${key}"`});
  });
  return findings;
}

/** Findings in a chart file (values.yaml or a template): Secrets with data, literal credentials. */
export function traceChartFile(text: string, file: string): SecretFinding[] {
  const findings: SecretFinding[] = [];
  for (const doc of parseAllDocuments(text)) {
    const obj = doc.toJSON() as Json;
    walk(obj, file, (value, at, key) => {
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        const o = value as Record<string, Json>;
        if (o.kind === 'Secret' && typeof o.apiVersion === 'string') {
          const keys = [...Object.keys((o.data ?? {}) as object), ...Object.keys((o.stringData ?? {}) as object)];
          if (keys.length) findings.push({ at, what: `Kubernetes Secret with data (${keys.join(', ')}) in a chart`});
        }
      }
      if (typeof value === 'string' && CREDENTIAL_KEY.test(key) && value !== '') findings.push({ at, what: `literal credential under "${key}"`});
    });
  }
  return findings;
}

/** Findings in one synthesized stack directory's files (relative path -> content). */
export function traceStackFiles(files: ReadonlyMap<string, string>): SecretFinding[] {
  const out: SecretFinding[] = [];
  for (const [file, content] of files) {
    if (file.endsWith('cdk.tf.json')) out.push(...traceTerraform(JSON.parse(content) as Record<string, Json>, file));
    else if (/\.(ya?ml)$/.test(file) && !file.endsWith('Chart.yaml')) out.push(...traceChartFile(content, file));
  }
  return out;
}
