// AWS half of an InferenceEndpoint (the `inference` const, src/inference/spi.ts): an internal NLB (made by the AWS Load Balancer Controller), an ALB Gateway (Gateway API, LBC >= 2.14) with an ACM certificate for
// public endpoints and canaries, the API key in Secrets Manager, and `aws s3 sync` to copy a model.
import { Construct } from 'constructs';
import { AcmCertificate } from '@cdktf/provider-aws/lib/acm-certificate';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { EphemeralResource } from '../../core/ephemeral';
import { AwsCloud } from '../../core/cloud';
import { InvalidPropError } from '../../core/errors';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';
import type {
  AddonChart, ApiKeyParts, ApiKeyRequest, ExposureParts, ExposureRequest, InferenceSpi, ModelCopySpec, ModelStreamSpec,
  BackendTarget,
} from '../../inference/spi';
import { gatewayClass } from '../../k8s/objects/gateway-class';
import { PRIVATE_CIDRS } from '../../k8s/objects/network-policy';
import { K8sObject } from '../../k8s/objects/object';
import { ModelReference } from '../../core/model-store';
import { awsPartition } from './partition';
import { awsProvider } from './provider';
import { keyPolicy } from './keys';

/** GatewayClass of the AWS Load Balancer Controller's ALB implementation, created once per cluster. */
export const AWS_GATEWAY_CLASS = 'aiinfra-alb';
/** The AWS CLI image that copies models (supports EKS Pod Identity credentials). */
export const AWS_CLI_IMAGE = 'public.ecr.aws/aws-cli/aws-cli:2.27.50';
/** TLS 1.3 + 1.2 policy for public listeners. */
export const AWS_TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

const LB = 'service.beta.kubernetes.io/aws-load-balancer';
/** The AWS Load Balancer Controller's class for NLB Services. */
export const AWS_NLB_CLASS = 'service.k8s.aws/nlb';

/** Per backend Service: the ALB target group's health check (the readiness path, or `target`'s admin port) and deregistration delay. */
function targetGroupConfigurations(req: ExposureRequest, serviceName: string, target?: BackendTarget): K8sObject[] {
  return !req.useGateway ? [] : [{
    apiVersion: 'gateway.k8s.aws/v1beta1',
    kind: 'TargetGroupConfiguration',
    metadata: { name: serviceName, namespace: target?.namespace ?? req.namespace, labels: { 'app.kubernetes.io/name': target ? serviceName : req.app } },
    spec: {
      targetReference: { name: serviceName },
      defaultConfiguration: {
        targetType: 'ip',
        // The CRD's enum is lowercase (http, https, tcp).
        healthCheckConfig: {
          healthCheckPath: target?.healthPath ?? '/readyz', ...(target ? { healthCheckPort: String(target.healthPort) } : {}),
          healthCheckProtocol: 'http', healthCheckInterval: 10, healthyThresholdCount: 2, unhealthyThresholdCount: 2,
        },
        targetGroupAttributes: [{ key: 'deregistration_delay.timeout_seconds', value: String(req.deregistrationSeconds) }],
      },
    },
  }];
}

function exposure(scope: Construct, cloud: AwsCloud, req: ExposureRequest): ExposureParts {
  // An internal NLB made by the AWS Load Balancer Controller (loadBalancerClass service.k8s.aws/nlb; EKS's
  // built-in service controller ignores such Services): ip targets, a deregistration delay, and a finalizer on
  // the Service, so deleting it deletes the NLB. An NLB of the built-in controller would be invisible to
  // Terraform and keep its network interfaces in the subnets, which then block the VPC's deletion.
  const serviceAnnotations: Record<string, string> = {
    [`${LB}-type`]: 'external',
    [`${LB}-scheme`]: 'internal',
    [`${LB}-nlb-target-type`]: 'ip',
    [`${LB}-target-group-attributes`]: `deregistration_delay.timeout_seconds=${req.deregistrationSeconds}`,
  };
  const backendObjects = (serviceName: string, target?: BackendTarget): K8sObject[] => targetGroupConfigurations(req, serviceName, target);
  if (!req.useGateway) {
    return {
      serviceType: 'LoadBalancer', serviceLoadBalancerClass: AWS_NLB_CLASS, serviceNeedsClusterController: true,
      serviceAnnotations, gatewayObjects: [], backendObjects, defaultCidrs: PRIVATE_CIDRS, scheme: 'http',
    };
  }

  let certificateArn: string | undefined;
  if (req.public) {
    certificateArn = req.certificate?.acmCertificateArn ?? new AcmCertificate(scope, 'Certificate', {
      provider: awsProvider(scope, cloud.region),
      domainName: req.domainName as string,
      validationMethod: 'DNS',
      keyAlgorithm: 'EC_prime256v1',
      lifecycle: { createBeforeDestroy: true },
      tags: resourceTags(scope, cloud, req.tags),
    }).arn;
  }
  const lbConfigName = `${req.app}-lb`;
  const lbConfig: K8sObject = {
    apiVersion: 'gateway.k8s.aws/v1beta1',
    kind: 'LoadBalancerConfiguration',
    metadata: { name: lbConfigName, namespace: req.namespace, labels: { 'app.kubernetes.io/name': req.app } },
    spec: {
      scheme: req.public ? 'internet-facing' : 'internal',
      ...(certificateArn
        ? { listenerConfigurations: [{ protocolPort: 'HTTPS:443', defaultCertificate: certificateArn, sslPolicy: AWS_TLS_POLICY }] }
        : {}),
      // Streaming completions hold a connection for minutes; the idle timeout must exceed the longest request.
      loadBalancerAttributes: [
        { key: 'idle_timeout.timeout_seconds', value: String(req.requestTimeoutSeconds + 30) },
        { key: 'routing.http.drop_invalid_header_fields.enabled', value: 'true' },
      ],
    },
  };
  return {
    serviceType: 'ClusterIP',
    serviceAnnotations: {},
    gateway: {
      className: req.gatewayClassName ?? AWS_GATEWAY_CLASS,
      annotations: { ...(req.gatewayAnnotations ?? {}) },
      listeners: req.public
        ? [{ name: 'https', protocol: 'HTTPS', port: 443, hostname: req.domainName }]
        : [{ name: 'http', protocol: 'HTTP', port: 80, ...(req.domainName ? { hostname: req.domainName } : {}) }],
      infrastructure: { parametersRef: { group: 'gateway.k8s.aws', kind: 'LoadBalancerConfiguration', name: lbConfigName } },
    },
    gatewayObjects: [lbConfig],
    backendObjects,
    // ALB nodes sit in the VPC's subnets and connect to pod IPs from there.
    defaultCidrs: PRIVATE_CIDRS,
    scheme: req.public ? 'https' : 'http',
  };
}

/**
 * The API key: a Secrets Manager secret whose value Secrets Manager itself generates
 * (`GetRandomPassword`, through an ephemeral resource: a data source would keep the value in state) and
 * Terraform writes with the write-only `secret_string_wo`: the value is in no synth output, plan or state. The endpoint's role may read this one secret only.
 */
function apiKey(scope: Construct, cloud: AwsCloud, req: ApiKeyRequest): ApiKeyParts {
  const provider = awsProvider(scope, cloud.region);
  const account = cloud.accountId ?? new DataAwsCallerIdentity(scope, 'CallerIdentity', { provider }).accountId;
  const root = `arn:${awsPartition(cloud.region)}:iam::${account}:root`;
  const viaSecretsManager = `secretsmanager.${cloud.region}.amazonaws.com`;
  // A customer-managed key: its policy, not only the secret's, decides who can read the key material.
  const key = new KmsKey(scope, 'ApiKeyKey', {
    provider,
    description: `Encrypts the API keys of ${scope.node.path} (cdktf-ai-infra)`,
    enableKeyRotation: true,
    deletionWindowInDays: 30,
    policy: keyPolicy(root, [{
      sid: 'UseOnlyThroughSecretsManager',
      principal: { AWS: root },
      actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
      condition: { StringEquals: { 'kms:ViaService': viaSecretsManager, 'kms:CallerAccount': account } },
    }]),
    tags: resourceTags(scope, cloud, req.tags),
  });
  const secret = new SecretsmanagerSecret(scope, 'ApiKeySecret', {
    provider,
    kmsKeyId: key.arn,
    name: `aiinfra/${physicalName(scope, cloud, { maxLength: 400, lowercase: true })}/api-keys`,
    description: `API keys of the inference endpoint ${scope.node.path} (one per line)`,
    recoveryWindowInDays: 7,
    tags: resourceTags(scope, cloud, req.tags),
  });
  const generated = new EphemeralResource(scope, 'ApiKeyValue', 'aws_secretsmanager_random_password', {
    provider, args: { password_length: 48, exclude_punctuation: true, include_space: false },
  });
  new SecretsmanagerSecretVersion(scope, 'ApiKeyVersion', {
    provider,
    secretId: secret.id,
    secretStringWo: generated.attribute('random_password'),
    secretStringWoVersion: req.version,
  });
  new IamRolePolicy(scope, 'ApiKeyRead', {
    provider,
    name: 'read-api-keys',
    role: req.identity.workloadRef,
    policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'ReadApiKeys', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: secret.arn },
        {
          Sid: 'DecryptApiKeys', Effect: 'Allow', Action: ['kms:Decrypt'], Resource: key.arn,
          Condition: { StringEquals: { 'kms:ViaService': viaSecretsManager } },
        },
      ],
    }),
  });
  return {
    provider: 'aws',
    csiDriver: 'secrets-store.csi.k8s.io',
    secretRef: secret.arn,
    parameters: {
      region: cloud.region,
      usePodIdentity: 'true',
      objects: `- objectName: "${secret.arn}"\n  objectType: "secretsmanager"\n  objectAlias: "api-keys"\n`,
    },
  };
}

function modelCopy(model: ModelReference, dest: string): ModelCopySpec {
  return {
    image: AWS_CLI_IMAGE,
    command: ['aws', 's3', 'sync', '--only-show-errors', '--no-progress', model.uri, dest],
    env: [{ name: 'HOME', value: '/tmp' }, { name: 'AWS_REGION', value: model.store.cloud.region }],
    scratchDirs: ['/tmp'],
  };
}

/**
 * vLLM streams S3 models with its Run:ai model streamer (`--load-format runai_streamer`): safetensors go from S3
 * to GPU memory over concurrent ranged GETs, with no local copy and no copy-then-load wait. The streamer's AWS SDK
 * takes the Pod Identity credentials; the region comes from the store.
 */
function modelStream(model: ModelReference): ModelStreamSpec {
  return {
    uri: model.uri,
    env: [
      { name: 'AWS_REGION', value: model.store.cloud.region },
      { name: 'AWS_DEFAULT_REGION', value: model.store.cloud.region },
      // 32 S3 clients: the concurrency of Run:ai's published S3 benchmark (15 GB in 4.9 s).
      { name: 'RUNAI_STREAMER_CONCURRENCY', value: '32' },
    ],
  };
}

/** The Secrets Store CSI driver with the AWS provider (EKS has no managed add-on for it). */
export const AWS_SECRETS_STORE_CHART: AddonChart = {
  id: 'SecretsStoreCsi',
  releaseName: 'secrets-store-csi-aws',
  repository: 'https://aws.github.io/secrets-store-csi-driver-provider-aws',
  chart: 'secrets-store-csi-driver-provider-aws',
  // 2.2.1, not 2.2.0: 2.2.0 was never published to the repository's index (bumped to 2.2.1 the next day, same values).
  version: '2.2.1',
  // the secrets-store-csi-driver subchart's pre-install/pre-upgrade hook Job applies its CRDs
  crds: 'upgrade-hook',
  namespace: 'kube-system',
  values: {
    'secrets-store-csi-driver': { install: true, syncSecret: { enabled: false }, enableSecretRotation: true, rotationPollInterval: '2m' },
  },
};

/** The AWS half of an InferenceEndpoint. */
export const inference: InferenceSpi<AwsCloud> = {
  exposure,
  apiKey,
  modelCopy,
  modelStream,
  defaultGatewayClass: () => AWS_GATEWAY_CLASS,
  podLabels: {},
  secretsStoreChart: AWS_SECRETS_STORE_CHART,
  // EKS Pod Identity agent (link-local, on every node).
  identityEgress: [{ cidr: '169.254.170.23/32', ports: [80] }],
  checkExposure: (scope, opts) => {
    if (opts.keyVaultNetwork !== undefined) throw new InvalidPropError(scope, 'auth.keyVaultNetwork', opts.keyVaultNetwork, 'nothing: it applies to Azure Key Vault only');
    const c = opts.certificate ?? {};
    if (c.certificateMapName !== undefined || c.certManagerClusterIssuer !== undefined) {
      throw new InvalidPropError(scope, 'exposure.certificate', c,
        '{ acmCertificateArn } or nothing (a DNS-validated ACM certificate for domainName is made): the ALB takes ACM certificates only');
    }
  },
  sharedGatewayObjects: [gatewayClass(AWS_GATEWAY_CLASS, { 'app.kubernetes.io/managed-by': 'cdktf-ai-infra' }, 'gateway.k8s.aws/alb')],
};
