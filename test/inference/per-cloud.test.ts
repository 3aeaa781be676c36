// What an endpoint delivers on each cloud, as focused facts (formerly a 5,900-line snapshot): the objects of
// its release in delivery order (their construct ids follow it), its own Terraform resources, and the
// per-cloud parts (Service annotations, gateway, secret mount, model copy, pod sizing, release order). The
// generic behaviour is in defaults/public/runtime.test.ts.
import { build, byKind, CLOUDS, CloudName, endpointObjects, Json, synthJson } from './helpers';
import { loraAdapter } from '../../src/inference/lora';
import { K8sObject } from '../k8s/validate';

const AKS_SUBNET = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/nodes';
const APP = 'platform-chat-d21a8f63';

/** The internal builtin default, and a public vLLM endpoint with a canary, a LoRA adapter and KEDA. */
const SCENARIOS = {
  internal: (cloud: CloudName) => build(cloud),
  public: (cloud: CloudName) => build(cloud, ({ models }) => ({
    runtime: 'vllm', image: 'vllm/vllm-openai:v0.11.0',
    model: models.model('llm/llama-8b', { parameterCount: 8_030_000_000 }),
    canary: { steps: [20, 50] },
    adapters: [{ name: 'support', adapter: loraAdapter(models, 'adapters/support', { rank: 16 }) }],
    exposure: { type: 'public', domainName: 'chat.example.com', ...(cloud === 'azure' ? { certificate: { certManagerClusterIssuer: 'letsencrypt' } } : {}) },
    auth: cloud === 'azure' ? { keyVaultNetwork: { allowedSubnetIds: [AKS_SUBNET] } } : {},
    monitoring: { prometheusQueryUrl: 'http://prometheus-operated.monitoring.svc:9090' },
    replicas: { min: 2, max: 8 },
  })),
};
type Scenario = keyof typeof SCENARIOS;

interface Delivered { objects: K8sObject[]; json: Json }
const cache = new Map<string, Delivered>();
function delivered(cloud: CloudName, scenario: Scenario): Delivered {
  const key = `${cloud}/${scenario}`;
  if (!cache.has(key)) {
    const b = SCENARIOS[scenario](cloud);
    cache.set(key, { objects: endpointObjects(b), json: synthJson(b.stack) });
  }
  return cache.get(key) as Delivered;
}

/** `type.id` of the endpoint's own Terraform resources (its construct path), sorted. */
function ownResources(json: Json): string[] {
  return Object.entries(json.resource as Json)
    .flatMap(([type, byId]) => Object.keys(byId as Json).filter((id) => id.startsWith('chat_')).map((id) => `${type}.${id}`)).sort();
}

function podSpec(objects: K8sObject[], name = APP): Json {
  return (byKind(objects, 'Deployment', name).spec as Json).template.spec;
}

const release = (d: Delivered): Json => d.json.resource.helm_release.chat_Workload_Release_FBFD4D80;

const INTERNAL_OBJECTS = [
  `ServiceAccount/${APP}`, `PriorityClass/inference-${APP}`, `Deployment/${APP}`, `Service/${APP}`, `PodDisruptionBudget/${APP}`,
  `HorizontalPodAutoscaler/${APP}`, `NetworkPolicy/${APP}`,
];
const BACKEND_KINDS: Record<CloudName, string[]> = {
  aws: ['TargetGroupConfiguration'], gcp: ['HealthCheckPolicy', 'GCPBackendPolicy'], azure: ['HealthCheckPolicy'],
};
function publicObjects(cloud: CloudName): string[] {
  // Flagger makes the Services and the HTTPRoute; the backend policies cover the two Services it splits over.
  const backends = (name: string) => BACKEND_KINDS[cloud].map((k) => `${k}/${name}`);
  return [
    `ServiceAccount/${APP}`, `PriorityClass/inference-${APP}`, `SecretProviderClass/${APP}-api-keys`,
    `Deployment/${APP}`, `PodDisruptionBudget/${APP}`, `PodDisruptionBudget/${APP}-primary`, ...backends(`${APP}-primary`), ...backends(`${APP}-canary`), `ScaledObject/${APP}`,
    ...(cloud === 'aws' ? [`LoadBalancerConfiguration/${APP}-lb`] : []), `Gateway/${APP}`, `MetricTemplate/${APP}-error-ratio`, `Canary/${APP}`,
    `NetworkPolicy/${APP}`, ...(cloud === 'azure' ? [] : [`NetworkPolicy/${APP}-identity-egress`]), `ServiceMonitor/${APP}`,
  ];
}

const OWN_RESOURCES: Record<CloudName, Record<Scenario, string[]>> = {
  aws: {
    internal: ['aws_iam_role.chat_Identity_300C0C4C', 'helm_release.chat_Workload_Release_FBFD4D80'],
    public: [
      'aws_acm_certificate.chat_Certificate_66B5C510', 'aws_iam_role.chat_Identity_300C0C4C', 'aws_iam_role_policy.chat_ApiKeyRead_F9459BF4',
      'aws_kms_key.chat_ApiKeyKey_376B909F', 'aws_secretsmanager_secret.chat_ApiKeySecret_357A1056',
      'aws_secretsmanager_secret_version.chat_ApiKeyVersion_FA7F1941', 'helm_release.chat_Workload_Release_FBFD4D80',
    ],
  },
  gcp: {
    internal: ['google_service_account.chat_Identity_300C0C4C', 'helm_release.chat_Workload_Release_FBFD4D80'],
    public: [
      'google_certificate_manager_certificate.chat_Certificate_66B5C510', 'google_certificate_manager_certificate_map.chat_CertificateMap_01134921',
      'google_certificate_manager_certificate_map_entry.chat_CertificateMapEntry_15070935', 'google_compute_global_address.chat_Address_0846E56E',
      'google_kms_crypto_key.chat_ApiKeyKey_376B909F', 'google_kms_crypto_key_iam_member.chat_ApiKeyKeyAccess_F764CED0',
      'google_kms_key_ring.chat_ApiKeyRing_2ECD9DA1', 'google_secret_manager_secret.chat_ApiKeySecret_357A1056',
      'google_secret_manager_secret_iam_member.chat_ApiKeyRead_F9459BF4', 'google_secret_manager_secret_version.chat_ApiKeyVersion_FA7F1941',
      'google_service_account.chat_Identity_300C0C4C', 'helm_release.chat_Workload_Release_FBFD4D80',
    ],
  },
  azure: {
    internal: ['azurerm_user_assigned_identity.chat_Identity_300C0C4C', 'helm_release.chat_Workload_Release_FBFD4D80'],
    public: [
      'azurerm_key_vault.chat_KeyVault_166C7352', 'azurerm_key_vault_secret.chat_ApiKeySecret_357A1056', 'azurerm_role_assignment.chat_ApiKeyRead_F9459BF4',
      'azurerm_role_assignment.chat_KeyVaultWriter_252EAE62', 'azurerm_user_assigned_identity.chat_Identity_300C0C4C',
      'helm_release.chat_Workload_Release_FBFD4D80', 'time_sleep.chat_KeyVaultWriterPropagation_380E7D03',
    ],
  },
};

/** Per cloud: what the catalog machine of the pool gives a replica, and what the pods need from the cloud. */
const POD: Record<CloudName, { cpu: string; memory: Record<Scenario, string>; storeEnv: string[]; podLabels: Record<string, string>; csiDriver: string }> = {
  aws: { cpu: '3', memory: { internal: '12Gi', public: '12Gi' }, storeEnv: ['AWS_REGION', 'AWS_DEFAULT_REGION'], podLabels: {}, csiDriver: 'secrets-store.csi.k8s.io' },
  gcp: { cpu: '3', memory: { internal: '12Gi', public: '12Gi' }, storeEnv: ['GOOGLE_CLOUD_PROJECT'], podLabels: {}, csiDriver: 'secrets-store-gke.csi.k8s.io' },
  azure: {
    cpu: '4', memory: { internal: '16Gi', public: '30Gi' }, storeEnv: ['AZURE_STORAGE_ACCOUNT_NAME', 'AZURE_STORAGE_ANON'],
    podLabels: { 'azure.workload.identity/use': 'true' }, csiDriver: 'secrets-store.csi.k8s.io',
  },
};

describe.each(Object.keys(CLOUDS) as CloudName[])('%s', (cloud) => {
  test('objects of the release in delivery order (construct ids follow it)', () => {
    const names = (s: Scenario) => delivered(cloud, s).objects.map((o) => `${o.kind}/${o.metadata.name}`);
    const egress = cloud === 'azure' ? [] : [`NetworkPolicy/${APP}-identity-egress`];
    expect(names('internal')).toEqual([...INTERNAL_OBJECTS, ...egress]);
    expect(names('public')).toEqual(publicObjects(cloud));
  });

  test('the endpoint\'s own Terraform resources', () => {
    for (const s of Object.keys(SCENARIOS) as Scenario[]) expect(ownResources(delivered(cloud, s).json)).toEqual(OWN_RESOURCES[cloud][s]);
  });

  test('pod sizing from the pool\'s machine, the store\'s environment first, the cloud\'s pod labels', () => {
    for (const s of Object.keys(SCENARIOS) as Scenario[]) {
      const { objects } = delivered(cloud, s);
      const container = podSpec(objects).containers[0];
      expect(container.resources.requests).toMatchObject({ 'cpu': POD[cloud].cpu, 'memory': POD[cloud].memory[s], 'nvidia.com/gpu': '1' });
      // The builtin server reads the store itself; vLLM's init container does (below).
      if (s === 'internal') expect(container.env.slice(0, POD[cloud].storeEnv.length).map((e: Json) => e.name)).toEqual(POD[cloud].storeEnv);
      expect((byKind(objects, 'Deployment', APP).spec as Json).template.metadata.labels).toMatchObject(POD[cloud].podLabels);
    }
    // The vLLM pod's disk: /tmp (16 GiB), the adapter volume (2 GiB per adapter) and, where the model is copied
    // (Azure), the model cache (weights x 1.3 + 5, at least 20 GiB); AWS and GCP stream the weights.
    expect(podSpec(delivered(cloud, 'public').objects).containers[0].resources.requests['ephemeral-storage']).toBe(cloud === 'azure' ? '43Gi' : '18Gi');
  });

  test('internal: the stable Service is the cloud\'s internal load balancer', () => {
    const svc = byKind(delivered(cloud, 'internal').objects, 'Service', APP);
    const LB = { aws: 'service.beta.kubernetes.io/aws-load-balancer', azure: 'service.beta.kubernetes.io/azure-load-balancer' };
    const expected: Record<CloudName, Json> = {
      aws: {
        annotations: {
          [`${LB.aws}-type`]: 'external', [`${LB.aws}-scheme`]: 'internal', [`${LB.aws}-nlb-target-type`]: 'ip',
          [`${LB.aws}-target-group-attributes`]: 'deregistration_delay.timeout_seconds=20',
        },
        loadBalancerClass: 'service.k8s.aws/nlb',
      },
      gcp: { annotations: { 'networking.gke.io/load-balancer-type': 'Internal' }, loadBalancerClass: undefined },
      azure: { annotations: { [`${LB.azure}-internal`]: 'true', [`${LB.azure}-health-probe-request-path`]: '/readyz' }, loadBalancerClass: undefined },
    };
    expect(svc.metadata.annotations).toEqual(expected[cloud].annotations);
    expect((svc.spec as Json).loadBalancerClass).toBe(expected[cloud].loadBalancerClass);
    expect((svc.spec as Json).type).toBe('LoadBalancer');
  });

  test('public: the cloud\'s Gateway class, certificate wiring and address; an 80/20 route', () => {
    const { objects } = delivered(cloud, 'public');
    const gw = byKind(objects, 'Gateway', APP);
    const spec = gw.spec as Json;
    const expected: Record<CloudName, { className: string; annotations?: string[]; listener: Json; extra: Json }> = {
      aws: {
        className: 'aiinfra-alb', listener: {},
        extra: { infrastructure: { parametersRef: { group: 'gateway.k8s.aws', kind: 'LoadBalancerConfiguration', name: `${APP}-lb` } } },
      },
      gcp: { className: 'gke-l7-global-external-managed', annotations: ['networking.gke.io/certmap'], listener: {}, extra: { addresses: [{ type: 'NamedAddress', value: expect.any(String) }] } },
      azure: {
        className: 'azure-alb-external', annotations: ['cert-manager.io/cluster-issuer'],
        listener: { tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: `${APP}-tls` }] } }, extra: {},
      },
    };
    expect(spec.gatewayClassName).toBe(expected[cloud].className);
    expect(Object.keys(gw.metadata.annotations ?? {})).toEqual(expected[cloud].annotations ?? []);
    expect(spec.listeners).toEqual([{ name: 'https', protocol: 'HTTPS', port: 443, hostname: 'chat.example.com', allowedRoutes: { namespaces: { from: 'Same' } }, ...expected[cloud].listener }]);
    expect(spec).toMatchObject(expected[cloud].extra);
    expect((byKind(objects, 'Canary', APP).spec as Json).service).toMatchObject({ hosts: ['chat.example.com'], gatewayRefs: [{ name: APP, namespace: 'inference' }] });
    expect(((byKind(objects, 'Canary', APP).spec as Json).analysis as Json).stepWeights).toEqual([20, 50]);
  });

  test('public: the API key mounts through the cloud\'s Secrets Store provider (references only)', () => {
    const { objects } = delivered(cloud, 'public');
    const spc = byKind(objects, 'SecretProviderClass', `${APP}-api-keys`).spec as Json;
    const expected: Record<CloudName, { provider: string; parameters: string[] }> = {
      aws: { provider: 'aws', parameters: ['objects', 'region', 'usePodIdentity'] },
      gcp: { provider: 'gke', parameters: ['secrets'] },
      azure: { provider: 'azure', parameters: ['clientID', 'keyvaultName', 'objects', 'tenantId', 'usePodIdentity'] },
    };
    expect(spc.provider).toBe(expected[cloud].provider);
    expect(Object.keys(spc.parameters).sort()).toEqual(expected[cloud].parameters);
    const volume = podSpec(objects).volumes.find((v: Json) => v.name === 'api-keys');
    expect(volume.csi).toEqual({ driver: POD[cloud].csiDriver, readOnly: true, volumeAttributes: { secretProviderClass: `${APP}-api-keys` } });
  });

  test('public vLLM: AWS and GCP stream the model; Azure copies it; the cloud\'s CLI copies the adapter before the server starts', () => {
    const pod = podSpec(delivered(cloud, 'public').objects);
    const args: string[] = pod.containers[0].args;
    const model = args[args.indexOf('--model') + 1];
    const inits: Json[] = pod.initContainers;
    expect(inits.map((c) => c.name)).toEqual(cloud === 'azure' ? ['fetch-model', 'fetch-adapter-0'] : ['fetch-adapter-0']);
    if (cloud === 'aws') expect(model).toMatch(/^s3:\/\/.*\/llm\/llama-8b$/);
    if (cloud === 'gcp') expect(model).toMatch(/^gs:\/\/.*\/llm\/llama-8b$/);
    if (cloud === 'azure') expect(model).toBe('/models/model');
    expect(args.includes('runai_streamer')).toBe(cloud !== 'azure');
    const adapter = inits.find((c) => c.name === 'fetch-adapter-0') as Json;
    const expected: Record<CloudName, { image: string; command: string[] }> = {
      aws: { image: 'public.ecr.aws/aws-cli/aws-cli:2.27.50', command: ['aws', 's3', 'sync', '--only-show-errors', '--no-progress', expect.stringMatching(/^s3:\/\/.*\/adapters\/support$/), '/adapters/support'] },
      gcp: {
        image: 'gcr.io/google.com/cloudsdktool/google-cloud-cli:530.0.0-slim',
        command: ['gcloud', 'storage', 'rsync', '--recursive', '--no-user-output-enabled', expect.stringMatching(/^gs:\/\/.*\/adapters\/support$/), '/adapters/support'],
      },
      azure: { image: 'mcr.microsoft.com/azure-cli:2.75.0', command: ['/bin/sh', '-c', expect.stringContaining('az storage blob download-batch --auth-mode login')] },
    };
    expect(adapter.image).toBe(expected[cloud].image);
    expect(adapter.command).toEqual(expected[cloud].command);
    expect(adapter.volumeMounts).toContainEqual({ name: 'adapters', mountPath: '/adapters' });
    for (const init of inits) expect(init.env.slice(0, POD[cloud].storeEnv.length).map((e: Json) => e.name)).toEqual(POD[cloud].storeEnv);
  });

  test('the release waits for its namespace, and on a public endpoint for KEDA, Flagger, the cloud\'s secrets store chart and gateway class', () => {
    const ns = 'helm_release.Cluster_Namespace-inference_Release_9BDEC333';
    const addon = (id: string) => `helm_release.InferenceAddons-ec250c7c_${id}`;
    const publicDeps: Record<CloudName, string[]> = {
      aws: [ns, addon('Flagger_1CBBC58F'), addon('Keda_CC131839'), addon('SecretsStoreCsi_ADDFB819'), addon('Shared_Release_5899E1D2')],
      gcp: [ns, addon('Flagger_1CBBC58F'), addon('Keda_CC131839')],
      azure: [ns, addon('Flagger_1CBBC58F'), addon('Keda_CC131839'), addon('SecretsStoreCsi_ADDFB819')],
    };
    expect(release(delivered(cloud, 'internal')).depends_on).toEqual([ns]);
    expect(release(delivered(cloud, 'public')).depends_on).toEqual(publicDeps[cloud]);
    for (const s of Object.keys(SCENARIOS) as Scenario[]) {
      expect(release(delivered(cloud, s))).toMatchObject({ name: APP, namespace: 'inference', timeout: 2700, atomic: true, wait: true });
    }
  });
});
