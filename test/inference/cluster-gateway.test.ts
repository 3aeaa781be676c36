// Public endpoints and canaries on a cluster the library makes: the endpoint turns on what its gateway and
// API key need on the cluster (EKS: the AWS Load Balancer Controller with Gateway API + the Gateway API
// CRDs; GKE: Gateway API and the Secret Manager add-on), once however many endpoints, and the stack passes
// the policy pack.
import { TerraformStack, Testing } from 'cdktf';
import { parse } from 'yaml';
import { ModelBackupBucket } from '../../src/backup/model-backup-bucket';
import { Gpu } from '../../src/core/gpu';
import { InferenceClusterAddons } from '../../src/clouds/helm/inference-addons';
import { InferenceEndpoint } from '../../src/inference/inference-endpoint';
import { PolicyPack } from '../../src/policy/pack';
import { GpuTrainingCluster } from '../../src/training/gpu-training-cluster';
import { manifestsOf } from '../k8s/validate';
import { validateAll } from './crds';
import { CLOUDS, Json, resources, synthJson } from './helpers';

const IMAGE = 'ghcr.io/acme/aiinfra-server:0.1.0';

/** A cluster, a public endpoint with a canary and a second public endpoint. */
function platform(cloudName: 'aws' | 'gcp') {
  const stack = new TerraformStack(Testing.app(), 'platform');
  const cloud = CLOUDS[cloudName]();
  const models = new ModelBackupBucket(stack, 'models', { cloud });
  const cluster = new GpuTrainingCluster(stack, 'train', { cloud, gpuPools: [{ gpu: Gpu.L4, maxNodes: 4 }], kueue: false });
  const model = models.model('llm/v3', { parameterCount: 1_210_000_000 });
  const chat = new InferenceEndpoint(stack, 'chat', {
    cluster, image: IMAGE, model,
    exposure: { type: 'public', domainName: 'chat.example.com' },
    canary: {}, autoscaling: { prometheusUrl: 'http://prometheus-operated.monitoring.svc:9090' },
  });
  const api = new InferenceEndpoint(stack, 'api', { cluster, image: IMAGE, model, exposure: { type: 'public', domainName: 'api.example.com' } });
  return { stack, cluster, chat, api, json: synthJson(stack) };
}

const named = (json: Json, name: string): Json[] => resources(json, 'helm_release').filter((r) => r.name === name);
const ref = (json: Json, name: string): string => {
  const [key] = Object.entries(json.resource.helm_release as Json).find(([, r]) => (r as Json).name === name) as [string, Json];
  return `helm_release.${key}`;
};

describe('EKS: public endpoint + canary', () => {
  const { stack, chat, api, json } = platform('aws');

  test('the Gateway API CRDs and the AWS Load Balancer Controller are installed once, CRDs first', () => {
    const [crds] = named(json, 'gateway-api-crds');
    const [lbc] = named(json, 'aws-load-balancer-controller');
    expect(named(json, 'gateway-api-crds')).toHaveLength(1);
    expect(named(json, 'aws-load-balancer-controller')).toHaveLength(1);
    expect(crds).toMatchObject({ repository: 'oci://docker.io/envoyproxy', chart: 'gateway-crds-helm', version: 'v1.5.6', namespace: 'kube-system' });
    expect(parse(crds.values[0])).toEqual({ crds: { gatewayAPI: { enabled: true, channel: 'standard' }, envoyGateway: { enabled: false } } });
    expect(lbc).toMatchObject({ repository: 'https://aws.github.io/eks-charts', chart: 'aws-load-balancer-controller', version: '1.17.1', namespace: 'kube-system' });
    // The controller checks for the Gateway API CRDs once at start-up.
    expect(lbc.depends_on).toContain(ref(json, 'gateway-api-crds'));
    const values = parse(lbc.values[0]);
    expect(values.controllerConfig.featureGates).toEqual({ ALBGatewayAPI: true });
    expect(values.vpcId).toMatch(/^\$\{aws_vpc\./);
    expect(values).toMatchObject({ region: 'us-east-1', enableShield: false, enableWaf: false, enableWafv2: false, serviceAccount: { create: true, name: 'aws-load-balancer-controller' } });
  });

  test('the Secrets Store CSI driver (API keys) is installed once, by the endpoints', () => {
    expect(named(json, 'secrets-store-csi-aws')).toHaveLength(1);
  });

  test('the GatewayClass and both endpoints wait for the controller and the CRDs', () => {
    const lbc = ref(json, 'aws-load-balancer-controller');
    const crds = ref(json, 'gateway-api-crds');
    for (const name of ['aiinfra-inference-shared', chat.name, api.name]) {
      const [r] = named(json, name);
      expect(r.depends_on as string[]).toEqual(expect.arrayContaining([lbc, crds]));
    }
  });

  test('the controller runs as its own Pod Identity role', () => {
    const assoc = resources(json, 'aws_eks_pod_identity_association').filter((a) => a.service_account === 'aws-load-balancer-controller');
    expect(assoc).toHaveLength(1);
    expect(assoc[0].namespace).toBe('kube-system');
    const role = resources(json, 'aws_iam_role', 'LoadBalancerController');
    expect(role).toHaveLength(1);
    expect(assoc[0].role_arn).toMatch(/LoadBalancerController/);
  });

  test('its IAM policy names every action, scopes to this account, region and cluster tag; "*" only for describe calls or tag-bound ones', () => {
    const [policy] = resources(json, 'aws_iam_role_policy', 'LoadBalancerController');
    const clusterName = parse(named(json, 'aws-load-balancer-controller')[0].values[0]).clusterName;
    expect(clusterName).toMatch(/^platform-train/);
    const doc = JSON.parse(policy.policy);
    const statements: Json[] = doc.Statement;
    for (const s of statements) {
      const actions: string[] = [s.Action].flat();
      for (const a of actions) expect(a).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
      const res: string[] = [s.Resource].flat();
      if (res.includes('*')) {
        const describeOnly = actions.every((a) => /^(ec2|elasticloadbalancing):Describe/.test(a));
        const tagBound = JSON.stringify(s.Condition ?? {}).includes(`/elbv2.k8s.aws/cluster":"${clusterName}"`);
        expect({ sid: s.Sid, ok: describeOnly || tagBound }).toEqual({ sid: s.Sid, ok: true });
      } else {
        for (const r of res) expect(r).toMatch(/^arn:\$\{data\.aws_partition\.[^}]+\}:(elasticloadbalancing|ec2|acm|iam):(us-east-1)?:\$\{data\.aws_caller_identity/);
      }
    }
    const all = statements.flatMap((s) => [s.Action].flat());
    for (const dropped of ['wafv2:AssociateWebACL', 'shield:CreateProtection', 'cognito-idp:DescribeUserPoolClient', 'acm:ListCertificates', 'iam:GetServerCertificate']) {
      expect(all).not.toContain(dropped);
    }
  });

  test('the Kubernetes objects validate', () => {
    const addons = stack.node.findAll().filter((c) => c instanceof InferenceClusterAddons);
    expect(addons).toHaveLength(1);
    validateAll([...manifestsOf(chat.workload), ...manifestsOf(api.workload), ...manifestsOf(addons[0])]);
  });

  test('no unsuppressed policy error on the cluster, its add-ons and the endpoints', () => {
    const mine = PolicyPack.errors(stack).filter((f) => !f.constructPath.startsWith('platform/models'));
    expect(mine.map((f) => `${f.ruleId} ${f.subject}: ${f.message}`)).toEqual([]);
  });
});

describe('GKE: public endpoint + canary', () => {
  const { stack, chat, api, json } = platform('gcp');

  test('the cluster has Gateway API (standard channel) and the Secret Manager add-on', () => {
    const [cluster] = resources(json, 'google_container_cluster');
    expect(cluster.gateway_api_config).toEqual({ channel: 'CHANNEL_STANDARD' });
    expect(cluster.secret_manager_config).toEqual({ enabled: true });
  });

  test('no controller chart: GKE runs its own gateway controller and CSI provider', () => {
    expect(named(json, 'aws-load-balancer-controller')).toHaveLength(0);
    expect(named(json, 'gateway-api-crds')).toHaveLength(0);
    expect(resources(json, 'helm_release').filter((r) => /secrets-store/.test(r.name))).toHaveLength(0);
  });

  test('the Kubernetes objects validate', () => {
    validateAll([...manifestsOf(chat.workload), ...manifestsOf(api.workload)]);
  });

  test('no unsuppressed policy error on the cluster, its add-ons and the endpoints', () => {
    const mine = PolicyPack.errors(stack).filter((f) => !f.constructPath.startsWith('platform/models'));
    expect(mine.map((f) => `${f.ruleId} ${f.subject}: ${f.message}`)).toEqual([]);
  });
});

describe('internal endpoints do not install gateway controllers', () => {
  test.each(['gcp'] as const)('%s', (cloudName) => {
    const stack = new TerraformStack(Testing.app(), 'platform');
    const cloud = CLOUDS[cloudName]();
    const models = new ModelBackupBucket(stack, 'models', { cloud });
    const cluster = new GpuTrainingCluster(stack, 'train', { cloud, gpuPools: [{ gpu: Gpu.L4, maxNodes: 4 }], kueue: false, gatewayApi: false });
    new InferenceEndpoint(stack, 'chat', { cluster, image: IMAGE, model: models.model('llm/v3', { parameterCount: 1_210_000_000 }) });
    const json = synthJson(stack);
    const [gke] = resources(json, 'google_container_cluster');
    expect(gke.gateway_api_config).toBeUndefined();
    expect(gke.secret_manager_config).toBeUndefined();
  });

  test('aws: the internal NLB comes from the AWS Load Balancer Controller, installed once, which the endpoint waits for', () => {
    const stack = new TerraformStack(Testing.app(), 'platform');
    const cloud = CLOUDS.aws();
    const models = new ModelBackupBucket(stack, 'models', { cloud });
    const cluster = new GpuTrainingCluster(stack, 'train', { cloud, gpuPools: [{ gpu: Gpu.L4, maxNodes: 4 }], kueue: false, gatewayApi: false });
    for (const id of ['chat', 'embed']) {
      new InferenceEndpoint(stack, id, { cluster, image: IMAGE, model: models.model('llm/v3', { parameterCount: 1_210_000_000 }) });
    }
    const json = synthJson(stack);
    expect(named(json, 'aws-load-balancer-controller')).toHaveLength(1);
    const endpoints = resources(json, 'helm_release').filter((r: Json) => /chat|embed/.test(String(r.name)));
    expect(endpoints).toHaveLength(2);
    for (const r of endpoints) expect(JSON.stringify(r.depends_on)).toMatch(/helm_release\.train_LoadBalancerController_Release/);
  });
});
