import { App, TerraformStack, Testing } from 'cdktf';
import { buildTwoStackApp } from '../../examples/two-stack/stacks';
import { Cloud } from '../../src/core/cloud';
import { Gpu } from '../../src/core/gpu';
import { WorkloadIdentity } from '../../src/core/workload-identity';
import { GpuTrainingCluster } from '../../src/training/gpu-training-cluster';
import { all, expectInvalid, Json } from './cluster-helpers';
import { SynthQuery } from '../synth-query';

function synthApp(): Record<string, Json> {
  const app = new App({ outdir: Testing.app().outdir, skipValidation: true });
  const { infra, workloads } = buildTwoStackApp(app);
  // Cross-stack references are resolved when the app synthesizes.
  app.synth();
  const read = (s: TerraformStack) => JSON.parse(require('fs').readFileSync(`${app.outdir}/stacks/${s.node.id}/cdk.tf.json`, 'utf8'));
  return { infra: read(infra), workloads: read(workloads) };
}

describe('two-stack form: infra stack + workloads stack via fromClusterAttributes', () => {
  const { infra, workloads } = synthApp();

  test('the infra stack has the cluster and its add-ons, and outputs what the workloads stack reads', () => {
    expect(all(infra, 'aws_eks_cluster')).toHaveLength(1);
    // the pinned upstream charts, and our release of the add-on namespaces' NetworkPolicies (a local chart)
    expect(all(infra, 'helm_release').filter((r) => r.repository).map((r) => r.chart).sort()).toEqual(['aws-efa-k8s-device-plugin', 'cluster-autoscaler', 'dcgm-exporter', 'kueue', 'kured', 'nvidia-device-plugin']);
    expect(all(infra, 'helm_release').filter((r) => !r.repository).map((r) => r.name)).toEqual(['aiinfra-addon-netpol']);
    const outputs = JSON.stringify(infra.output);
    expect(outputs).toMatch(/aws_eks_cluster\.train_[0-9A-F]+\.endpoint/);
    expect(outputs).toMatch(/certificate_authority\[0\]\.data/);
  });

  test('the workloads stack makes no cluster: its aliased helm provider reads the endpoint and CA from the infra state', () => {
    expect(all(workloads, 'aws_eks_cluster')).toHaveLength(0);
    expect(all(workloads, 'aws_eks_node_group')).toHaveLength(0);
    const helm = workloads.provider.helm[0];
    expect(helm.alias).toMatch(/^helm-workloads-aws-train-[0-9a-f]{8}$/);
    expect(helm.kubernetes.host).toMatch(/data\.terraform_remote_state\.[^.]+\.outputs\./);
    expect(helm.kubernetes.cluster_ca_certificate).toMatch(/base64decode\(data\.terraform_remote_state/);
    expect(helm.kubernetes.exec.args).toEqual(expect.arrayContaining(['eks', 'get-token', '--cluster-name']));
    expect(Object.keys(workloads.data.terraform_remote_state)).toHaveLength(1);
  });

  test('the job is a helm release through that provider; its identity is bound with a Pod Identity association', () => {
    const releases = all(workloads, 'helm_release');
    expect(releases.length).toBeGreaterThanOrEqual(1);
    expect(releases.every((r) => r.provider === `helm.${workloads.provider.helm[0].alias}`)).toBe(true);
    const assoc = all(workloads, 'aws_eks_pod_identity_association');
    expect(assoc.length).toBeGreaterThanOrEqual(1);
    expect(assoc[0].cluster_name).toMatch(/terraform_remote_state/);
  });
});

describe('fromClusterAttributes', () => {
  const pools = [{
    name: 'h100', gpu: 'h100-80gb', gpusPerNode: 8, maxNodes: 2, gpuMemoryGiB: 80, nodeSelector: { 'cdktf-ai-infra/pool': 'h100' },
    taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' as const }], interconnect: 'ethernet' as const,
  }];

  test.each([
    ['aws', Cloud.aws({ region: 'us-east-1' }), 'aws', ['cdktf-ai-infra/pod-identity-association']],
    ['gcp', Cloud.gcp({ project: 'acme-ml', region: 'us-central1' }), 'gke-gcloud-auth-plugin', ['iam.gke.io/gcp-service-account', 'cdktf-ai-infra/workload-identity-binding']],
    ['azure', Cloud.azure({ location: 'eastus2' }), 'kubelogin', ['azure.workload.identity/client-id', 'cdktf-ai-infra/federated-credential']],
  ] as const)('%s: a helm provider from literal attributes, and identity binding', (_n, cloud, command, keys) => {
    const stack = new TerraformStack(Testing.app(), 'workloads');
    const cluster = GpuTrainingCluster.fromClusterAttributes(stack, 'cluster', {
      cloud, clusterName: 'prod', endpoint: 'https://10.0.0.1', certificateAuthorityData: 'Q0E=', gpuPools: pools,
      oidcIssuerUrl: 'https://eastus2.oic.prod-aks.azure.com/tenant/issuer/',
    });
    const identity = new WorkloadIdentity(stack, 'job', { cloud });
    const annotations = cluster.bindServiceAccount(identity, 'research', 'trainer');
    expect(Object.keys(annotations)).toEqual(keys);
    const json = SynthQuery.fromStack(stack).json;
    expect(json.provider.helm[0].kubernetes.exec.command).toBe(command);
    expect(json.provider.helm[0].kubernetes.host).toBe('https://10.0.0.1');
    expect(cluster.gpuPools).toEqual(pools);
    expect(cluster.addOnDependencies).toEqual([]);
    expect(cluster.addOnNamespace).toBe('gpu-system');
  });

  test('bad attributes', () => {
    const stack = new TerraformStack(Testing.app(), 'w');
    const base = { cloud: Cloud.aws({ region: 'us-east-1' }), clusterName: 'c', endpoint: 'https://x', certificateAuthorityData: 'Q0E=', gpuPools: pools };
    expectInvalid(() => GpuTrainingCluster.fromClusterAttributes(stack, 'a', { ...base, clusterName: '' }), /invalid clusterName = ""/);
    expectInvalid(() => GpuTrainingCluster.fromClusterAttributes(stack, 'b', { ...base, cloud: Cloud.azure({ location: 'eastus2' }) }), /oidcIssuerUrl/);
    expectInvalid(() => GpuTrainingCluster.fromClusterAttributes(stack, 'c', { ...base, gpuPools: undefined as never }), /gpuPools/);
  });

  test('a real cluster\'s attributes round-trip', () => {
    const stack = new TerraformStack(Testing.app(), 'one');
    const cluster = new GpuTrainingCluster(stack, 'train', { cloud: Cloud.aws({ region: 'us-east-1' }), gpuPools: [{ gpu: Gpu.L4, gpusPerNode: 1, maxNodes: 1 }] });
    const attrs = cluster.attributes;
    expect(attrs.gpuPools).toBe(cluster.gpuPools);
    expect(attrs.oidcIssuerUrl).toBeUndefined();
    expect(attrs.clusterName).toBe(cluster.clusterName);
  });
});
