// Azure half of an InferenceEndpoint (the `inference` const, src/inference/spi.ts): an internal Azure Load Balancer by default, Application Gateway for
// Containers (Gateway API) with a cert-manager certificate for public endpoints and canaries, the API
// key in a Key Vault (RBAC, purge protection) mounted by the Key Vault CSI provider with workload
// identity, and `az storage blob download-batch` to copy a model.
import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import { KeyVault } from '@cdktf/provider-azurerm/lib/key-vault';
import { KeyVaultSecret } from '@cdktf/provider-azurerm/lib/key-vault-secret';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { AzureCloud } from '../../core/cloud';
import { InvalidPropError } from '../../core/errors';
import { ModelReference } from '../../core/model-store';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';
import type {
  AddonChart, ApiKeyParts, ApiKeyRequest, ExposureCheck, ExposureParts, ExposureRequest, InferenceSpi, ModelCopySpec,
  BackendTarget,
} from '../../inference/spi';
import { PRIVATE_CIDRS } from '../../k8s/objects/network-policy';
import { K8sObject } from '../../k8s/objects/object';
import { KEY_VAULT_RBAC_WAIT, rbacPropagation } from './propagation';
import { azureProvider, azureResourceGroupName } from './provider';

/** Application Gateway for Containers' Gateway class (public frontends). */
export const AGC_GATEWAY_CLASS = 'azure-alb-external';
/** The Azure CLI image that copies models (logs in with the pod's federated token). */
export const AZURE_CLI_IMAGE = 'mcr.microsoft.com/azure-cli:2.75.0';

const LB = 'service.beta.kubernetes.io/azure-load-balancer';

function exposure(req: ExposureRequest): ExposureParts {
  const labels = { 'app.kubernetes.io/name': req.app };
  const backendObjects = (serviceName: string, target?: BackendTarget): K8sObject[] => (!req.useGateway ? [] : [{
    apiVersion: 'alb.networking.azure.io/v1',
    kind: 'HealthCheckPolicy',
    metadata: { name: serviceName, namespace: target?.namespace ?? req.namespace, labels: target ? { 'app.kubernetes.io/name': serviceName } : labels },
    spec: {
      targetRef: { group: '', kind: 'Service', name: serviceName, namespace: target?.namespace ?? req.namespace },
      default: {
        interval: '5s', timeout: '3s', healthyThreshold: 1, unhealthyThreshold: 2,
        ...(target ? { port: target.healthPort } : {}), http: { path: target?.healthPath ?? '/readyz' },
      },
    },
  }]);
  if (!req.useGateway) {
    return {
      serviceType: 'LoadBalancer',
      serviceAnnotations: { [`${LB}-internal`]: 'true', [`${LB}-health-probe-request-path`]: '/readyz' },
      gatewayObjects: [],
      backendObjects,
      defaultCidrs: PRIVATE_CIDRS,
      scheme: 'http',
    };
  }
  const issuer = req.certificate?.certManagerClusterIssuer;
  const tlsSecretName = `${req.app}-tls`;
  return {
    serviceType: 'ClusterIP',
    serviceAnnotations: {},
    gateway: {
      className: req.gatewayClassName ?? AGC_GATEWAY_CLASS,
      // cert-manager's gateway-shim issues a certificate for each HTTPS listener's hostname into the Secret.
      annotations: { ...(issuer ? { 'cert-manager.io/cluster-issuer': issuer } : {}), ...(req.gatewayAnnotations ?? {}) },
      listeners: req.public
        ? [{ name: 'https', protocol: 'HTTPS', port: 443, hostname: req.domainName, tlsSecretName }]
        : [{ name: 'http', protocol: 'HTTP', port: 80, ...(req.domainName ? { hostname: req.domainName } : {}) }],
    },
    gatewayObjects: [],
    backendObjects,
    // Application Gateway for Containers connects from its delegated subnet in the VNet.
    defaultCidrs: PRIVATE_CIDRS,
    scheme: req.public ? 'https' : 'http',
  };
}

/**
 * The API key: a secret in a Key Vault made for the endpoint (RBAC authorization, purge protection).
 * Key Vault has no secret generator, so Terraform writes the write-only `value_wo` from its own
 * `uuid()` (two v4 UUIDs from a CSPRNG, 244 random bits): the value is never in synth output nor in
 * state. The deployer gets Secrets Officer on the vault to write it; the endpoint's identity gets
 * Secrets User on this one secret.
 */
function apiKey(scope: Construct, cloud: AzureCloud, req: ApiKeyRequest): ApiKeyParts {
  const provider = azureProvider(scope, cloud);
  const client = new DataAzurermClientConfig(scope, 'ClientConfig', { provider });
  const vault = new KeyVault(scope, 'KeyVault', {
    provider,
    name: physicalName(scope, cloud, { maxLength: 24, startWithLetter: true }),
    location: cloud.location,
    resourceGroupName: azureResourceGroupName(scope, cloud),
    tenantId: client.tenantId,
    skuName: 'standard',
    rbacAuthorizationEnabled: true,
    purgeProtectionEnabled: true,
    softDeleteRetentionDays: 7,
    // Closed by default: only the AKS node subnets (CSI provider) and the Terraform runner's addresses.
    networkAcls: {
      defaultAction: 'Deny',
      bypass: 'AzureServices',
      virtualNetworkSubnetIds: [...(req.network?.allowedSubnetIds ?? [])],
      ipRules: [...(req.network?.allowedIpRanges ?? [])],
    },
    tags: resourceTags(scope, cloud, req.tags),
  });
  const writer = new RoleAssignment(scope, 'KeyVaultWriter', {
    provider,
    scope: vault.id,
    roleDefinitionName: 'Key Vault Secrets Officer',
    principalId: client.objectId,
    description: 'Terraform writes the endpoint API key (cdktf-ai-infra)',
  });
  const secret = new KeyVaultSecret(scope, 'ApiKeySecret', {
    provider,
    name: 'api-keys',
    keyVaultId: vault.id,
    contentType: 'text/plain',
    valueWo: Fn.replace(Fn.join('', [Fn.uuid(), Fn.uuid()]), '-', ''),
    valueWoVersion: req.version,
    dependsOn: [rbacPropagation(scope, 'KeyVaultWriterPropagation', [writer], KEY_VAULT_RBAC_WAIT)],
  });
  new RoleAssignment(scope, 'ApiKeyRead', {
    provider,
    scope: secret.resourceVersionlessId,
    roleDefinitionName: 'Key Vault Secrets User',
    principalId: req.identity.principal,
    principalType: 'ServicePrincipal',
    description: 'The inference endpoint reads its API key (cdktf-ai-infra)',
  });
  return {
    provider: 'azure',
    csiDriver: 'secrets-store.csi.k8s.io',
    secretRef: secret.versionlessId,
    parameters: {
      usePodIdentity: 'false',
      clientID: req.identity.workloadRef,
      keyvaultName: vault.name,
      tenantId: client.tenantId,
      objects: 'array:\n  - |\n    objectName: api-keys\n    objectType: secret\n    objectAlias: api-keys\n',
    },
  };
}

/**
 * Azure copies (no `modelStream`): the pinned vLLM's Run:ai streamer reads s3:// and gs:// only, and BlobFuse2 needs
 * the AKS blob CSI driver plus a PersistentVolume per model bound to the identity, which a cluster made elsewhere may
 * not have. The copy stages beside `dest` in the same volume, so the final move is a rename, not a second copy
 * through the size-limited /tmp.
 */
function modelCopy(model: ModelReference, dest: string): ModelCopySpec {
  const script = [
    'set -eu',
    'az login --service-principal -u "$AZURE_CLIENT_ID" -t "$AZURE_TENANT_ID" --federated-token "$(cat "$AZURE_FEDERATED_TOKEN_FILE")" --allow-no-subscriptions --output none',
    'az storage blob download-batch --auth-mode login --account-name "$AZURE_STORAGE_ACCOUNT_NAME" --source "$MODEL_CONTAINER" --pattern "$MODEL_PATH/*" --destination "$MODEL_STAGING" --output none',
    'mkdir -p "$MODEL_DEST"',
    'mv "$MODEL_STAGING/$MODEL_PATH"/* "$MODEL_DEST"/',
    'rm -rf "$MODEL_STAGING"',
  ].join('\n');
  const account = model.store.clientEnvironment.AZURE_STORAGE_ACCOUNT_NAME;
  return {
    image: AZURE_CLI_IMAGE,
    command: ['/bin/sh', '-c', script],
    env: [
      { name: 'AZURE_CONFIG_DIR', value: '/tmp/.azure' },
      { name: 'HOME', value: '/tmp' },
      ...(account !== undefined ? [{ name: 'AZURE_STORAGE_ACCOUNT_NAME', value: account }] : []),
      { name: 'MODEL_CONTAINER', value: model.store.bucketName },
      { name: 'MODEL_PATH', value: model.path },
      { name: 'MODEL_STAGING', value: `${dest}.staging` },
      { name: 'MODEL_DEST', value: dest },
    ],
    scratchDirs: ['/tmp'],
  };
}

/** Azure-only prop checks (before any child is created). */
function checkExposure(scope: Construct, opts: ExposureCheck): void {
  const c = opts.certificate ?? {};
  if (c.acmCertificateArn !== undefined || c.certificateMapName !== undefined) {
    throw new InvalidPropError(scope, 'exposure.certificate', c, '{ certManagerClusterIssuer } on Azure');
  }
  const issuer = c.certManagerClusterIssuer;
  const { isPublic, usesGateway, gatewayClassName } = opts;
  const net = opts.keyVaultNetwork;
  if (opts.apiKey && (net?.allowedSubnetIds?.length ?? 0) + (net?.allowedIpRanges?.length ?? 0) === 0) {
    throw new InvalidPropError(scope, 'auth.keyVaultNetwork', net,
      'allowedSubnetIds (the AKS node subnets, with the Microsoft.KeyVault service endpoint) and/or allowedIpRanges (where Terraform runs): the API key vault denies every other network');
  }
  if (isPublic && !issuer) {
    throw new InvalidPropError(scope, 'exposure.certificate.certManagerClusterIssuer', issuer,
      'a cert-manager ClusterIssuer name (e.g. "letsencrypt"): a public Azure endpoint terminates TLS at Application Gateway for Containers, which reads the certificate from a Secret that cert-manager issues');
  }
  if (!isPublic && usesGateway && !gatewayClassName) {
    throw new InvalidPropError(scope, 'exposure.gatewayClassName', gatewayClassName,
      'a Gateway class with a private frontend (an internal Azure endpoint behind a gateway, for a canary or for scale-to-zero\'s request-holding activator, cannot use Application Gateway for Containers, whose frontends are public)');
  }
}

/** The Secrets Store CSI driver with the Azure Key Vault provider. */
export const AZURE_SECRETS_STORE_CHART: AddonChart = {
  id: 'SecretsStoreCsi',
  releaseName: 'secrets-store-csi-azure',
  repository: 'https://azure.github.io/secrets-store-csi-driver-provider-azure/charts',
  chart: 'csi-secrets-store-provider-azure',
  version: '1.7.2',
  // the secrets-store-csi-driver subchart's pre-install/pre-upgrade hook Job applies its CRDs
  crds: 'upgrade-hook',
  namespace: 'kube-system',
  values: { 'secrets-store-csi-driver': { install: true, syncSecret: { enabled: false }, enableSecretRotation: true, rotationPollInterval: '2m' } },
};

/** The Azure half of an InferenceEndpoint. */
export const inference: InferenceSpi<AzureCloud> = {
  exposure: (_scope, _cloud, req) => exposure(req),
  apiKey,
  modelCopy,
  defaultGatewayClass: (isPublic) => (isPublic ? AGC_GATEWAY_CLASS : undefined),
  podLabels: { 'azure.workload.identity/use': 'true' },
  secretsStoreChart: AZURE_SECRETS_STORE_CHART,
  sharedGatewayObjects: [],
  // AKS workload identity: a projected token and Entra ID over HTTPS; nothing link-local.
  identityEgress: [],
  checkExposure,
};
