// TrainingJob and Tenant on the real GpuTrainingCluster and ModelBackupBucket of each cloud.
import { Cloud } from '../../src/core/cloud';
import { Gpu } from '../../src/core/gpu';
import { ModelBackupBucket } from '../../src/backup/model-backup-bucket';
import { GpuTrainingCluster } from '../../src/training/gpu-training-cluster';
import { findObject, findObjects, manifestsOf, podSpecOf, restrictedPssProblems, validateManifests } from '../k8s/validate';
import { all, newStack } from './cluster-helpers';
import { SynthQuery } from '../synth-query';

const clouds: [string, Cloud][] = [
  ['aws', Cloud.aws({ region: 'us-east-1' })],
  ['gcp', Cloud.gcp({ project: 'acme-ml', region: 'us-central1' })],
  ['azure', Cloud.azure({ location: 'eastus2' })],
];

describe.each(clouds)('training job and tenant on %s', (kind, cloud) => {
  const stack = newStack('platform');
  const models = new ModelBackupBucket(stack, 'models', { cloud });
  const cluster = new GpuTrainingCluster(stack, 'train', { cloud, gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2, capacity: ['on-demand', 'spot'] }] });
  const team = cluster.addTenant('research', { gpuQuota: 16, store: models, admins: ['ml-admins'] });
  const job = cluster.addTrainingJob('pretrain', {
    tenant: team, nodes: 2, gpusPerNode: 8, checkpoints: models, model: { preset: 'gpt-1b' }, precision: 'bf16', strategy: 'fsdp',
  });
  const json = SynthQuery.fromStack(stack).json;
  const objects = manifestsOf(stack);

  test('every delivered object is schema-valid and pods are restricted', () => {
    validateManifests(objects, { strict: true });
    for (const obj of [...findObjects(objects, 'Job'), ...findObjects(objects, 'CronJob'), ...findObjects(objects, 'Deployment')]) {
      if (obj.metadata.namespace === 'research') expect(restrictedPssProblems(podSpecOf(obj))).toEqual([]);
    }
  });

  test('the tenant lets pods reach the workload-identity credential endpoint of the cloud', () => {
    const policies = findObjects(team.workload.render().objects, 'NetworkPolicy').map((p) => p.metadata.name);
    const expected = { aws: ['169.254.170.23/32:80'], gcp: ['169.254.169.252/32:988', '169.254.169.254/32:80'], azure: [] }[kind]!;
    const wi = findObjects(team.workload.render().objects, 'NetworkPolicy').find((p) => p.metadata.name === 'allow-workload-identity-egress');
    expect(wi ? wi.spec.egress.map((e: { to: { ipBlock: { cidr: string } }[]; ports: { port: number }[] }) => `${e.to[0].ipBlock.cidr}:${e.ports[0].port}`) : []).toEqual(expected);
    expect(policies).toContain('default-deny-all');
  });

  test('the job lands in the tenant namespace and queue on the GPU pool', () => {
    const k8sJob = findObjects(job.workload.render().objects, 'Job')[0];
    expect(k8sJob.metadata.namespace).toBe('research');
    expect(k8sJob.metadata.labels['kueue.x-k8s.io/queue-name']).toBe('research');
    const pod = podSpecOf(k8sJob);
    expect(pod.nodeSelector).toEqual(cluster.gpuPools[0].nodeSelector);
    expect(pod.tolerations).toContainEqual(expect.objectContaining({ key: 'nvidia.com/gpu', effect: 'NoSchedule' }));
    expect(pod.containers[0].resources.limits['nvidia.com/gpu']).toBe('8');
    for (const [k, v] of Object.entries(cluster.workloadIdentityPodLabels ?? {})) expect(pod.metadata?.labels?.[k] ?? k8sJob.spec.template.metadata.labels[k]).toBe(v);
    expect(job.checkpointUri).toBe(`${models.uri}/research/checkpoints/pretrain`);
  });

  test('the job identity is bound to its ServiceAccount and granted only its prefix', () => {
    const sa = findObject(job.workload.render().objects, 'ServiceAccount', 'pretrain');
    const text = JSON.stringify(json);
    if (kind === 'aws') {
      const assoc = all(json, 'aws_eks_pod_identity_association').find((a: { service_account: string; namespace: string }) => a.service_account === 'pretrain');
      expect(assoc).toMatchObject({ namespace: 'research' });
      expect(text).toContain('research/checkpoints/pretrain/');
    } else if (kind === 'gcp') {
      expect(Object.keys(sa.metadata.annotations ?? {})).toContain('iam.gke.io/gcp-service-account');
      expect(text).toContain('research/checkpoints/pretrain/');
    } else {
      expect(Object.keys(sa.metadata.annotations ?? {})).toContain('azure.workload.identity/client-id');
      expect(all(json, 'azurerm_federated_identity_credential').some((c: { subject: string }) => c.subject === 'system:serviceaccount:research:pretrain')).toBe(true);
      // the nodes may pull the bundled trainer image from the stack's registry
      const pulls = all(json, 'azurerm_role_assignment').filter((r: { role_definition_name?: string }) => r.role_definition_name === 'AcrPull');
      expect(pulls).toEqual([expect.objectContaining({ principal_id: expect.stringMatching(/kubelet_identity\[0\]\.object_id/), scope: expect.stringMatching(/azurerm_container_registry\.AiInfraRegistry/) })]);
    }
  });

  test('the releases go through the cluster helm provider, after the add-ons and the tenant', () => {
    const releases = all(json, 'helm_release') as { name: string; provider: string; depends_on?: string[] }[];
    const jobRelease = releases.find((r) => r.name === job.workload.releaseName)!;
    const tenantRelease = releases.find((r) => r.name === team.workload.releaseName)!;
    expect(jobRelease.provider).toBe(tenantRelease.provider);
    expect(jobRelease.depends_on?.some((d) => d.includes('research_Resources_Release'))).toBe(true);
    expect((tenantRelease.depends_on ?? []).length).toBeGreaterThan(0);
    expect(json.resource.kubernetes_manifest).toBeUndefined();
  });
});
