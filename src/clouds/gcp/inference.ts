// GCP half of an InferenceEndpoint (the `inference` const, src/inference/spi.ts): an internal passthrough Network Load Balancer by default, the GKE
// Gateway controller (regional internal / global external Application Load Balancer) with a
// Google-managed certificate (Certificate Manager) for public endpoints and canaries, the API key in
// Secret Manager (mounted by GKE's Secret Manager add-on), and `gcloud storage rsync` to copy a model.
import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { CertificateManagerCertificate } from '@cdktf/provider-google/lib/certificate-manager-certificate';
import { CertificateManagerCertificateMap } from '@cdktf/provider-google/lib/certificate-manager-certificate-map';
import { CertificateManagerCertificateMapEntry } from '@cdktf/provider-google/lib/certificate-manager-certificate-map-entry';
import { ComputeGlobalAddress } from '@cdktf/provider-google/lib/compute-global-address';
import { DataGoogleProject } from '@cdktf/provider-google/lib/data-google-project';
import { KmsCryptoKey } from '@cdktf/provider-google/lib/kms-crypto-key';
import { KmsCryptoKeyIamMember } from '@cdktf/provider-google/lib/kms-crypto-key-iam-member';
import { KmsKeyRing } from '@cdktf/provider-google/lib/kms-key-ring';
import { SecretManagerSecret } from '@cdktf/provider-google/lib/secret-manager-secret';
import { SecretManagerSecretIamMember } from '@cdktf/provider-google/lib/secret-manager-secret-iam-member';
import { SecretManagerSecretVersion } from '@cdktf/provider-google/lib/secret-manager-secret-version';
import { GcpCloud } from '../../core/cloud';
import { InvalidPropError } from '../../core/errors';
import { ModelReference } from '../../core/model-store';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';
import type {
  ApiKeyParts, ApiKeyRequest, ExposureParts, ExposureRequest, InferenceSpi, ModelCopySpec, ModelStreamSpec,
  BackendTarget,
} from '../../inference/spi';
import { PRIVATE_CIDRS } from '../../k8s/objects/network-policy';
import { K8sObject } from '../../k8s/objects/object';
import { gcpKeyRingName } from './kms';
import { gcpProvider } from './provider';
import { gcpServiceAgent } from './service-agents';

const DAY_SECONDS = 86_400;

export const GKE_INTERNAL_GATEWAY_CLASS = 'gke-l7-rilb';
export const GKE_EXTERNAL_GATEWAY_CLASS = 'gke-l7-global-external-managed';
/** Google front ends and health checkers: where an Application Load Balancer connects to pods from. */
export const GOOGLE_LB_CIDRS: readonly string[] = ['35.191.0.0/16', '130.211.0.0/22'];
/** The Cloud SDK image that copies models (GKE workload identity through the metadata server). */
export const GCLOUD_IMAGE = 'gcr.io/google.com/cloudsdktool/google-cloud-cli:530.0.0-slim';

/** Per backend Service: the GKE gateway's health check (the readiness path) and backend timeouts. */
function backendObjects(req: ExposureRequest, serviceName: string, target?: BackendTarget): K8sObject[] {
  if (!req.useGateway) return [];
  const labels = { 'app.kubernetes.io/name': target ? serviceName : req.app };
  const namespace = target?.namespace ?? req.namespace;
  return [
    {
      apiVersion: 'networking.gke.io/v1',
      kind: 'HealthCheckPolicy',
      metadata: { name: serviceName, namespace, labels },
      spec: {
        default: {
          checkIntervalSec: 10, healthyThreshold: 1, unhealthyThreshold: 2,
          config: { type: 'HTTP', httpHealthCheck: { port: target?.healthPort ?? req.serverPort, requestPath: target?.healthPath ?? '/readyz' } },
        },
        targetRef: { group: '', kind: 'Service', name: serviceName },
      },
    },
    {
      apiVersion: 'networking.gke.io/v1',
      kind: 'GCPBackendPolicy',
      metadata: { name: serviceName, namespace, labels },
      spec: {
        // The load balancer's default backend timeout (30 s) would cut long completions.
        default: { timeoutSec: (target?.requestTimeoutSeconds ?? req.requestTimeoutSeconds) + 30, connectionDraining: { drainingTimeoutSec: req.deregistrationSeconds } },
        targetRef: { group: '', kind: 'Service', name: serviceName },
      },
    },
  ];
}

/** A Google-managed certificate for the domain in a new certificate map; returns the map's name. */
function certificateMap(scope: Construct, cloud: GcpCloud, req: ExposureRequest): string {
  const provider = gcpProvider(scope, cloud);
  const certificate = new CertificateManagerCertificate(scope, 'Certificate', {
    provider,
    project: cloud.project,
    name: physicalName(scope, cloud, { maxLength: 63, startWithLetter: true }),
    description: `TLS certificate of ${scope.node.path}`.slice(0, 250),
    scope: 'DEFAULT',
    // Load-balancer authorization: issued once the domain's A record points at the gateway's address.
    managed: { domains: [req.domainName as string] },
    labels: resourceTags(scope, cloud, req.tags),
  });
  const map = new CertificateManagerCertificateMap(scope, 'CertificateMap', {
    provider,
    project: cloud.project,
    name: physicalName(scope, cloud, { maxLength: 63, startWithLetter: true }, 'map'),
    labels: resourceTags(scope, cloud, req.tags),
  });
  new CertificateManagerCertificateMapEntry(scope, 'CertificateMapEntry', {
    provider,
    project: cloud.project,
    name: physicalName(scope, cloud, { maxLength: 63, startWithLetter: true }, 'entry'),
    map: map.name,
    hostname: req.domainName as string,
    certificates: [certificate.id],
    labels: resourceTags(scope, cloud, req.tags),
  });
  return map.name;
}

/** The public gateway's certificate map annotation and its global address. */
function publicFrontend(scope: Construct, cloud: GcpCloud, req: ExposureRequest): { certmap: string; addresses: { type: string; value: string }[] } {
  const certmap = req.certificate?.certificateMapName ?? certificateMap(scope, cloud, req);
  const address = new ComputeGlobalAddress(scope, 'Address', {
    provider: gcpProvider(scope, cloud),
    project: cloud.project,
    name: physicalName(scope, cloud, { maxLength: 63, startWithLetter: true }, 'ip'),
    description: `Public address of ${scope.node.path}`.slice(0, 250),
    labels: resourceTags(scope, cloud, req.tags),
  });
  return { certmap, addresses: [{ type: 'NamedAddress', value: address.name }] };
}

function exposure(scope: Construct, cloud: GcpCloud, req: ExposureRequest): ExposureParts {
  const backends = (serviceName: string, target?: BackendTarget): K8sObject[] => backendObjects(req, serviceName, target);
  if (!req.useGateway) {
    return {
      serviceType: 'LoadBalancer',
      serviceAnnotations: { 'networking.gke.io/load-balancer-type': 'Internal' },
      gatewayObjects: [],
      backendObjects: backends,
      defaultCidrs: PRIVATE_CIDRS,
      scheme: 'http',
    };
  }
  const annotations: Record<string, string> = { ...(req.gatewayAnnotations ?? {}) };
  let addresses: { type: string; value: string }[] | undefined;
  if (req.public) {
    const frontend = publicFrontend(scope, cloud, req);
    annotations['networking.gke.io/certmap'] = frontend.certmap;
    addresses = frontend.addresses;
  }
  return {
    serviceType: 'ClusterIP',
    serviceAnnotations: {},
    gateway: {
      className: req.gatewayClassName ?? (req.public ? GKE_EXTERNAL_GATEWAY_CLASS : GKE_INTERNAL_GATEWAY_CLASS),
      annotations,
      // The certificate map attaches the certificate; the HTTPS listener names none.
      listeners: req.public
        ? [{ name: 'https', protocol: 'HTTPS', port: 443, hostname: req.domainName }]
        : [{ name: 'http', protocol: 'HTTP', port: 80, ...(req.domainName ? { hostname: req.domainName } : {}) }],
      ...(addresses ? { addresses } : {}),
    },
    gatewayObjects: [],
    backendObjects: backends,
    // Regional internal proxies come from the proxy-only subnet (private); health checks and global
    // front ends from Google's ranges.
    defaultCidrs: req.public ? GOOGLE_LB_CIDRS : [...PRIVATE_CIDRS, ...GOOGLE_LB_CIDRS],
    scheme: req.public ? 'https' : 'http',
  };
}

/**
 * The API key: a Secret Manager secret whose version Terraform writes through the write-only
 * `secret_data_wo` from Terraform's own `uuid()` (two v4 UUIDs from a CSPRNG, 244 random bits; Secret
 * Manager has no generator). The expression, not the value, is in synth output, and write-only
 * arguments are never stored in state. Bump `version` to rotate.
 */
function apiKey(scope: Construct, cloud: GcpCloud, req: ApiKeyRequest): ApiKeyParts {
  const provider = gcpProvider(scope, cloud);
  const labels = resourceTags(scope, cloud, req.tags);
  // A customer-managed key (global: automatic replication needs one) that only Secret Manager's service
  // agent may use; revoking it revokes the key material.
  const projectInfo = new DataGoogleProject(scope, 'Project', { provider, projectId: cloud.project });
  const ring = new KmsKeyRing(scope, 'ApiKeyRing', {
    provider, project: cloud.project, location: 'global', name: gcpKeyRingName(scope, cloud, {}, 'api-keys'),
  });
  const key = new KmsCryptoKey(scope, 'ApiKeyKey', {
    provider, name: 'api-keys', keyRing: ring.id, purpose: 'ENCRYPT_DECRYPT',
    rotationPeriod: `${90 * DAY_SECONDS}s`, destroyScheduledDuration: `${30 * DAY_SECONDS}s`, labels,
    // Cloud KMS keys cannot be deleted, only their versions: keep Terraform from trying.
    lifecycle: { preventDestroy: true },
  });
  const agent = gcpServiceAgent(scope, cloud, 'secretmanager.googleapis.com', projectInfo.number);
  const keyAccess = new KmsCryptoKeyIamMember(scope, 'ApiKeyKeyAccess', {
    provider, cryptoKeyId: key.id, role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter', member: agent.member, dependsOn: [agent.ready],
  });
  const secret = new SecretManagerSecret(scope, 'ApiKeySecret', {
    provider,
    project: cloud.project,
    secretId: physicalName(scope, cloud, { maxLength: 255 }, 'api-keys'),
    replication: { auto: { customerManagedEncryption: { kmsKeyName: key.id } } },
    labels,
    dependsOn: [keyAccess],
  });
  new SecretManagerSecretVersion(scope, 'ApiKeyVersion', {
    provider,
    secret: secret.id,
    secretDataWo: Fn.replace(Fn.join('', [Fn.uuid(), Fn.uuid()]), '-', ''),
    secretDataWoVersion: req.version,
  });
  new SecretManagerSecretIamMember(scope, 'ApiKeyRead', {
    provider,
    project: cloud.project,
    secretId: secret.secretId,
    role: 'roles/secretmanager.secretAccessor',
    member: req.identity.principal,
  });
  return {
    provider: 'gke',
    csiDriver: 'secrets-store-gke.csi.k8s.io',
    secretRef: secret.id,
    parameters: {
      secrets: `- resourceName: "projects/${cloud.project}/secrets/${secret.secretId}/versions/latest"\n  path: "api-keys"\n`,
    },
  };
}

function modelCopy(model: ModelReference, dest: string): ModelCopySpec {
  return {
    image: GCLOUD_IMAGE,
    command: ['gcloud', 'storage', 'rsync', '--recursive', '--no-user-output-enabled', model.uri, dest],
    env: [{ name: 'CLOUDSDK_CONFIG', value: '/tmp/gcloud' }, { name: 'HOME', value: '/tmp' }],
    scratchDirs: ['/tmp'],
  };
}

/**
 * vLLM streams GCS models with its Run:ai model streamer (`--load-format runai_streamer`, `gs://`): the
 * streamer's GCS client takes the workload identity from the metadata server (Application Default Credentials).
 */
function modelStream(model: ModelReference): ModelStreamSpec {
  // 32 concurrent readers, as for S3 (Run:ai's published object-store benchmark).
  return { uri: model.uri, env: [{ name: 'RUNAI_STREAMER_CONCURRENCY', value: '32' }] };
}

/** The GCP half of an InferenceEndpoint. */
export const inference: InferenceSpi<GcpCloud> = {
  exposure,
  apiKey,
  modelCopy,
  modelStream,
  defaultGatewayClass: (isPublic) => (isPublic ? GKE_EXTERNAL_GATEWAY_CLASS : GKE_INTERNAL_GATEWAY_CLASS),
  podLabels: {},
  // GKE's Secret Manager add-on (`secret_manager_config`) provides the CSI driver and provider.
  secretsStoreChart: undefined,
  sharedGatewayObjects: [],
  // GKE metadata server (workload identity credentials).
  identityEgress: [{ cidr: '169.254.169.254/32', ports: [80] }, { cidr: '169.254.169.252/32', ports: [988] }],
  checkExposure: (scope, opts) => {
    if (opts.keyVaultNetwork !== undefined) throw new InvalidPropError(scope, 'auth.keyVaultNetwork', opts.keyVaultNetwork, 'nothing: it applies to Azure Key Vault only');
    const c = opts.certificate ?? {};
    if (c.acmCertificateArn !== undefined || c.certManagerClusterIssuer !== undefined) {
      throw new InvalidPropError(scope, 'exposure.certificate', c,
        '{ certificateMapName } or nothing (a Google-managed certificate for domainName is made): the GKE gateway takes Certificate Manager maps');
    }
  },
};
