// Public exposure (TLS + API key in the cloud's secret manager), canaries, and that no secret value is
// ever in synth output.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, TerraformStack } from 'cdktf';
import { ModelBackupBucket } from '../../src/backup/model-backup-bucket';
import { InferenceEndpoint } from '../../src/inference/inference-endpoint';
import { FakeGpuCluster } from '../k8s/fake-cluster';
import { validateAll } from './crds';
import { build, byKind, CLOUDS, CloudName, dataSources, endpointObjects, Json, pools, resources, SERVER_IMAGE, synthJson } from './helpers';

const PROM = 'http://prometheus-operated.monitoring.svc:9090';
const AKS_SUBNET = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/nodes';

function publicProps(cloud: CloudName): Json {
  return {
    exposure: { type: 'public', domainName: 'chat.example.com', ...(cloud === 'azure' ? { certificate: { certManagerClusterIssuer: 'letsencrypt' } } : {}) },
    ...(cloud === 'azure' ? { auth: { keyVaultNetwork: { allowedSubnetIds: [AKS_SUBNET], allowedIpRanges: ['203.0.113.0/24'] } } } : {}),
    monitoring: { prometheusQueryUrl: PROM },
  };
}

describe.each(Object.keys(CLOUDS) as CloudName[])('public endpoint on %s', (cloud) => {
  const b = build(cloud, () => publicProps(cloud));
  const objects = endpointObjects(b);
  const app = b.endpoint.name;
  const json = synthJson(b.stack);
  const pod = byKind(objects, 'Deployment').spec.template.spec;

  test('objects validate; the route sends all traffic to the stable Service through the endpoint\'s Gateway', () => {
    expect(() => validateAll(objects)).not.toThrow();
    const route = byKind(objects, 'HTTPRoute');
    expect(route.spec.parentRefs).toEqual([{ name: app }]);
    expect(route.spec.hostnames).toEqual(['chat.example.com']);
    expect(route.spec.rules[0].backendRefs).toEqual([{ name: app, port: 80, weight: 100 }]);
    expect(byKind(objects, 'Service').spec.type).toBe('ClusterIP');
    expect(b.endpoint.url).toBe('https://chat.example.com');
  });

  test('the Gateway listens on HTTPS 443 only, for the domain', () => {
    const gw = byKind(objects, 'Gateway');
    expect(gw.spec.listeners).toHaveLength(1);
    expect(gw.spec.listeners[0]).toMatchObject({ name: 'https', protocol: 'HTTPS', port: 443, hostname: 'chat.example.com' });
    expect(gw.spec.gatewayClassName).toBe({ aws: 'aiinfra-alb', gcp: 'gke-l7-global-external-managed', azure: 'azure-alb-external' }[cloud]);
  });

  test('TLS certificate from the cloud (ACM / Certificate Manager) or cert-manager (Azure)', () => {
    const gw = byKind(objects, 'Gateway');
    if (cloud === 'aws') {
      const cert = resources(json, 'aws_acm_certificate')[0];
      expect(cert).toMatchObject({ domain_name: 'chat.example.com', validation_method: 'DNS' });
      const lbc = byKind(objects, 'LoadBalancerConfiguration');
      expect(lbc.spec.scheme).toBe('internet-facing');
      expect(lbc.spec.listenerConfigurations).toEqual([{ protocolPort: 'HTTPS:443', defaultCertificate: expect.stringMatching(/PLACEHOLDER/), sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' }]);
      expect(gw.spec.infrastructure.parametersRef).toEqual({ group: 'gateway.k8s.aws', kind: 'LoadBalancerConfiguration', name: lbc.metadata.name });
      expect(byKind(objects, 'TargetGroupConfiguration').spec.defaultConfiguration.healthCheckConfig.healthCheckPath).toBe('/readyz');
    } else if (cloud === 'gcp') {
      const cert = resources(json, 'google_certificate_manager_certificate')[0];
      expect(cert.managed).toEqual({ domains: ['chat.example.com'] });
      expect(resources(json, 'google_certificate_manager_certificate_map_entry')[0].hostname).toBe('chat.example.com');
      expect(gw.metadata.annotations['networking.gke.io/certmap']).toMatch(/PLACEHOLDER/);
      expect(gw.spec.addresses).toEqual([{ type: 'NamedAddress', value: expect.stringMatching(/PLACEHOLDER/) }]);
      expect(byKind(objects, 'GCPBackendPolicy').spec.default.timeoutSec).toBe(150);
      expect(byKind(objects, 'HealthCheckPolicy').spec.default.config.httpHealthCheck).toEqual({ port: 8000, requestPath: '/readyz' });
    } else {
      expect(gw.metadata.annotations).toEqual({ 'cert-manager.io/cluster-issuer': 'letsencrypt' });
      expect(gw.spec.listeners[0].tls).toEqual({ mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: `${app}-tls` }] });
    }
  });

  test('an API key is required: a secret in the cloud\'s secret manager mounted by the CSI driver and read by the server', () => {
    const spc = byKind(objects, 'SecretProviderClass');
    expect(spc.spec.provider).toBe({ aws: 'aws', gcp: 'gke', azure: 'azure' }[cloud]);
    const vol = pod.volumes.find((v: Json) => v.name === 'api-keys');
    expect(vol.csi).toEqual({
      driver: cloud === 'gcp' ? 'secrets-store-gke.csi.k8s.io' : 'secrets-store.csi.k8s.io',
      readOnly: true, volumeAttributes: { secretProviderClass: spc.metadata.name },
    });
    const server = pod.containers[0];
    expect(server.volumeMounts).toContainEqual({ name: 'api-keys', mountPath: '/var/run/secrets/aiinfra', readOnly: true });
    expect(server.env).toContainEqual({ name: 'AIINFRA_API_KEYS_FILE', value: '/var/run/secrets/aiinfra/api-keys' });
    expect(b.endpoint.apiKeySecret).toBeDefined();
  });

  test('the endpoint identity may read only its own secret', () => {
    if (cloud === 'aws') {
      const policy = JSON.parse(resources(json, 'aws_iam_role_policy', 'ApiKeyRead')[0].policy);
      expect(policy.Statement).toEqual([
        {
          Sid: 'ReadApiKeys', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          Resource: expect.stringMatching(/^\$\{aws_secretsmanager_secret\.chat_ApiKeySecret_[0-9A-F]+\.arn\}$/),
        },
        {
          Sid: 'DecryptApiKeys', Effect: 'Allow', Action: ['kms:Decrypt'], Resource: expect.stringMatching(/aws_kms_key\.chat_ApiKeyKey_[0-9A-F]+\.arn/),
          Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } },
        },
      ]);
      // The secret is encrypted with its own rotating customer-managed key, usable only through Secrets Manager.
      const secret = resources(json, 'aws_secretsmanager_secret', 'chat_')[0];
      expect(secret.kms_key_id).toMatch(/aws_kms_key\.chat_ApiKeyKey_[0-9A-F]+\.arn/);
      const key = resources(json, 'aws_kms_key', 'chat_')[0];
      expect(key.enable_key_rotation).toBe(true);
      const keyPolicy = JSON.parse(key.policy);
      expect(keyPolicy.Statement[1].Condition.StringEquals['kms:ViaService']).toBe('secretsmanager.us-east-1.amazonaws.com');
      for (const st of [...policy.Statement, ...keyPolicy.Statement]) for (const a of [st.Action].flat()) expect(a).not.toMatch(/\*/);
      expect(JSON.parse(byKind(objects, 'SecretProviderClass').spec.parameters.usePodIdentity)).toBe(true);
    } else if (cloud === 'gcp') {
      const member = resources(json, 'google_secret_manager_secret_iam_member')[0];
      expect(member.role).toBe('roles/secretmanager.secretAccessor');
      expect(member.secret_id).toMatch(/google_secret_manager_secret\.chat_ApiKeySecret/);
      // Encrypted with a global customer-managed key that only Secret Manager's agent may use.
      const secret = resources(json, 'google_secret_manager_secret', 'chat_')[0];
      expect(secret.replication.auto.customer_managed_encryption.kms_key_name).toMatch(/google_kms_crypto_key\.chat_ApiKeyKey_[0-9A-F]+\.id/);
      expect(resources(json, 'google_kms_key_ring', 'chat_')[0].location).toBe('global');
      expect(resources(json, 'google_kms_crypto_key_iam_member', 'chat_')[0].member).toMatch(/@gcp-sa-secretmanager\.iam\.gserviceaccount\.com$/);
    } else {
      const read = resources(json, 'azurerm_role_assignment', 'ApiKeyRead')[0];
      expect(read.role_definition_name).toBe('Key Vault Secrets User');
      expect(read.scope).toMatch(/azurerm_key_vault_secret\.chat_ApiKeySecret_[0-9A-F]+\.resource_versionless_id/);
      const vault = resources(json, 'azurerm_key_vault')[0];
      expect(vault).toMatchObject({ rbac_authorization_enabled: true, purge_protection_enabled: true });
      expect(vault.network_acls).toEqual({
        default_action: 'Deny', bypass: 'AzureServices', virtual_network_subnet_ids: [AKS_SUBNET], ip_rules: ['203.0.113.0/24'],
      });
      expect(pod.containers[0]).toBeDefined();
      expect(byKind(objects, 'Deployment').spec.template.metadata.labels['azure.workload.identity/use']).toBe('true');
    }
  });

  test('the key value is generated at apply time and written write-only: no value in synth output or state', () => {
    const wo: Record<CloudName, [string, string, string]> = {
      aws: ['aws_secretsmanager_secret_version', 'secret_string_wo', 'secret_string'],
      gcp: ['google_secret_manager_secret_version', 'secret_data_wo', 'secret_data'],
      azure: ['azurerm_key_vault_secret', 'value_wo', 'value'],
    };
    const [type, field, plain] = wo[cloud];
    const version = resources(json, type)[0];
    expect(version[plain]).toBeUndefined();
    expect(version[field]).toMatch(/^\$\{.+\}$/);
    expect(version[`${field}_version`]).toBe(1);
    if (cloud === 'aws') {
      // Drawn by an ephemeral resource (a data source would keep the value in state: issue 21 item 3).
      expect(version[field]).toMatch(/^\$\{ephemeral\.aws_secretsmanager_random_password\.[^.]+\.random_password\}$/);
      expect(dataSources(json, 'aws_secretsmanager_random_password')).toEqual([]);
      expect(Object.values(json.ephemeral.aws_secretsmanager_random_password)[0]).toMatchObject({ password_length: 48, exclude_punctuation: true });
    } else {
      expect(version[field]).toBe('${replace(join("", [uuid(), uuid()]), "-", "")}');
    }
  });

  test('public endpoints start warm: KEDA on queue depth from the monitoring Prometheus', () => {
    const so = byKind(objects, 'ScaledObject');
    expect(so.spec.minReplicaCount).toBe(2);
    expect(so.spec.fallback).toEqual({ failureThreshold: 3, replicas: 2 });
    expect(so.spec.triggers[0]).toEqual({
      type: 'prometheus', name: 'queue-depth',
      metadata: { serverAddress: PROM, query: `sum(aiinfra_server_queue_depth{namespace="inference",service="${app}"})`, threshold: '4', activationThreshold: '0' },
    });
  });
});

describe('no secret value in synth output', () => {
  test.each(Object.keys(CLOUDS) as CloudName[])('%s: Terraform JSON and the Helm chart files hold only references', (cloud) => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'inference-secrets-'));
    try {
      const app = new App({ outdir });
      const stack = new TerraformStack(app, 'platform');
      const cluster = new FakeGpuCluster(stack, 'Cluster', { cloud: CLOUDS[cloud](), pools: pools(cloud) });
      const models = new ModelBackupBucket(stack, 'models', { cloud: CLOUDS[cloud]() });
      new InferenceEndpoint(stack, 'chat', {
        cluster, model: models.model('research/gpt-1b'), image: SERVER_IMAGE, ...(publicProps(cloud) as Record<string, never>),
      });
      app.synth();
      const files: string[] = [];
      const walk = (d: string) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p); else files.push(p);
      });
      walk(outdir);
      const text = files.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
      // The only secret-bearing attributes are write-only and hold Terraform expressions.
      for (const m of text.matchAll(/"(secret_string|secret_data|value)(_wo)?"\s*:\s*"([^"]*)"/g)) {
        if (m[1] === 'value' && !m[2]) continue; // plain `value` keys of other resources (tags, env) are checked below
        expect(m[2]).toBe('_wo');
        expect(m[3]).toMatch(/^\$\{/);
      }
      expect(text).not.toMatch(/"secret_string"|"secret_data"/);
      const kv = JSON.parse(fs.readFileSync(files.find((f) => f.endsWith('cdk.tf.json')) as string, 'utf8'));
      for (const s of Object.values((kv.resource.azurerm_key_vault_secret ?? {}) as Json)) expect(s.value).toBeUndefined();
      // Long random-looking tokens (what a key looks like) appear nowhere, apart from content hashes.
      const suspicious = [...text.matchAll(/[A-Za-z0-9]{40,}/g)].map((m) => m[0]).filter((s) => !/^[0-9a-f]+$/.test(s));
      expect(suspicious).toEqual([]);
      // The chart carries references to the secret, and the mount path, never key material.
      const spc = files.filter((f) => /secretproviderclass/.test(f)).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
      expect(spc).toMatch(/\{\{ \.Values\.tf\.v\d+ \| toJson \}\}|api-keys/);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe('canary', () => {
  test('an internal canary routes through an internal gateway that Flagger splits; the identity reads the one model prefix', () => {
    const b = build('gcp', () => ({ monitoring: { prometheusQueryUrl: PROM }, canary: {} }));
    const objects = endpointObjects(b);
    expect(() => validateAll(objects)).not.toThrow();
    const app = b.endpoint.name;
    expect(objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name)).toEqual([app]);
    expect(byKind(objects, 'Canary').spec.service.gatewayRefs).toEqual([{ name: app, namespace: 'inference' }]);
    expect(byKind(objects, 'Gateway').spec.gatewayClassName).toBe('gke-l7-rilb');
    expect(byKind(objects, 'Gateway').spec.listeners).toEqual([expect.objectContaining({ protocol: 'HTTP', port: 80 })]);
    expect(b.endpoint.metricLatencyP95()).toContain(`service=~"${app}|${app}-primary|${app}-canary"`);
    const json = JSON.stringify(resources(synthJson(b.stack), 'google_storage_bucket_iam_member', 'ReadGrant'));
    expect(json).toContain('research/gpt-1b/');
  });

  test('a public canary keeps its hostname on the route Flagger makes', () => {
    const b = build('gcp', () => ({ ...publicProps('gcp'), monitoring: { prometheusQueryUrl: PROM }, canary: { steps: [10, 50] } }));
    const c = byKind(endpointObjects(b), 'Canary');
    expect(c.spec.service.hosts).toEqual(['chat.example.com']);
    expect(c.spec.analysis.stepWeights).toEqual([10, 50]);
  });
});

describe('cluster-wide objects', () => {
  test('AWS: the ALB GatewayClass is made once per cluster, cluster-scoped, and the endpoint waits for it', () => {
    const b = build('aws', () => publicProps('aws'));
    const { manifestsOf } = require('../k8s/validate') as typeof import('../k8s/validate');
    const shared = manifestsOf(b.stack).filter((o) => o.kind === 'GatewayClass');
    expect(shared).toEqual([{
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass',
      metadata: { name: 'aiinfra-alb', labels: { 'app.kubernetes.io/managed-by': 'cdktf-ai-infra' } },
      spec: { controllerName: 'gateway.k8s.aws/alb' },
    }]);
    expect(() => validateAll(shared)).not.toThrow();
    const releases = resources(synthJson(b.stack), 'helm_release');
    const mine = releases.find((r) => r.name === b.endpoint.name) as Json;
    expect(mine.depends_on.some((d: string) => /Shared_Release/.test(d))).toBe(true);
    expect(releases.filter((r) => r.name === 'aiinfra-inference-shared')).toHaveLength(1);
  });
});
