// Kueue preemption loses little work (issue 22 item 5): a preempted training pod gets the SIGTERM, the grace
// period its stop checkpoint needs and a launcher that waits for it; Kueue's preemption policy lets a cohort
// reclaim quota; too short a grace period warns at synth with the estimate.
import { TerraformStack, Testing } from 'cdktf';
import { Tenant } from '../../src/training/tenant';
import { stopCheckpointSeconds, TrainingJob, TrainingJobProps } from '../../src/training/training-job';
import { FakeGpuCluster } from '../k8s/fake-cluster';
import { findObject, findObjects, podSpecOf } from '../k8s/validate';
import { FakeStore } from './fakes';

function queuedJob(overrides: Partial<TrainingJobProps> = {}) {
  const stack = new TerraformStack(Testing.app(), 'preempt');
  const cluster = new FakeGpuCluster(stack, 'Cluster');
  const store = new FakeStore(stack, 'Models');
  const tenant = new Tenant(stack, 'research', { cluster, gpuQuota: 16, cohort: 'ml' });
  const job = new TrainingJob(stack, 'pretrain', {
    cluster, tenant, nodes: 2, gpusPerNode: 8, checkpoints: store,
    model: { preset: 'gpt-1b' }, precision: 'bf16', strategy: 'fsdp', image: 'ghcr.io/acme/trainer:1.0.0', ...overrides,
  });
  const warnings = () => job.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
  return { tenant, job, objects: job.workload.render().objects, warnings };
}

describe('preemption of a queued training job', () => {
  test('the preempted pod gets the grace period its stop checkpoint needs, and the launcher waits for it', () => {
    const { objects, tenant, warnings, job } = queuedJob();
    const k8sJob = findObjects(objects, 'Job')[0];
    // Kueue admits the Job (queue label) and preempts it by suspending it: the Job controller deletes the pods,
    // the kubelet sends SIGTERM and waits terminationGracePeriodSeconds before SIGKILL.
    expect(k8sJob.metadata.labels['kueue.x-k8s.io/queue-name']).toBe('research');
    const pod = podSpecOf(k8sJob);
    const need = stopCheckpointSeconds(job.parameterCount, 2, 'fsdp');
    // gpt-1b (1.14 B params): 13.7 GB of state, 2 nodes writing 6.9 GB each at 200 MB/s, plus a step: 95 s
    expect(need).toBe(95);
    expect(pod.terminationGracePeriodSeconds).toBe(420);
    const stopTimeout = Number(/--stop-timeout=(\d+)/.exec(pod.containers[0].args[0])![1]);
    expect(stopTimeout).toBe(pod.terminationGracePeriodSeconds - 10);
    expect(stopTimeout).toBeGreaterThanOrEqual(need);
    // a pod stopped by a disruption (preemption, drain, spot reclaim) does not count against backoffLimit
    expect(k8sJob.spec.podFailurePolicy.rules[0]).toEqual({ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] });
    // the tenant's ClusterQueue lets the cohort reclaim lent quota (which preempts) and prefers lower priorities
    const cq = findObject(tenant.workload.render().objects, 'ClusterQueue', 'tenant-research');
    expect(cq.spec.preemption).toEqual({ withinClusterQueue: 'LowerPriority', reclaimWithinCohort: 'Any' });
    expect(warnings()).toEqual([]);
  });

  test('too short a grace period warns with the estimate and the fix; one that fits does not', () => {
    const short = queuedJob({ terminationGracePeriodSeconds: 60, strategy: 'ddp', nodes: 1 });
    // ddp writes the 13.7 GB once: 60 + 69 s
    expect(short.warnings().join('\n')).toMatch(
      /terminationGracePeriodSeconds 60 leaves the stop checkpoint 50 s, but writing 13\.7 GB of state .* about 129 s: a preemption then loses the work since the last periodic checkpoint\. Raise terminationGracePeriodSeconds to at least 139, or use strategy "fsdp"/);
    expect(queuedJob({ terminationGracePeriodSeconds: 139, strategy: 'ddp', nodes: 1 }).warnings()).toEqual([]);
  });
});
