import { Construct } from 'constructs';
import { IGpuCluster } from '../core/cluster';
import { KubernetesWorkload } from './delivery';
import {
  addDefaultDenyNetworkPolicy, addDnsEgressNetworkPolicy, addEgressNetworkPolicy, addNamespace, addWorkloadIdentityEgressNetworkPolicy,
} from './namespace';

/**
 * The one release per cluster and namespace that creates a shared workload namespace (e.g. `training`):
 * the Namespace with restricted Pod Security labels, a default-deny NetworkPolicy, DNS egress and HTTPS
 * egress to the cloud APIs and to the workload-identity credential endpoint. Workloads in the namespace add it as a dependency. Made on first use, as a
 * child of the cluster construct (so two clusters never share it).
 */
export function sharedNamespace(cluster: IGpuCluster, namespace: string): KubernetesWorkload {
  const id = `Namespace-${namespace}`;
  const existing = cluster.node.tryFindChild(id);
  if (existing) return existing as KubernetesWorkload;
  const workload = new KubernetesWorkload(cluster as unknown as Construct, id, {
    cluster,
    namespace,
    releaseNamespace: cluster.addOnNamespace ?? 'kube-system',
    description: `Namespace ${namespace} (cdktf-ai-infra)`,
  });
  addNamespace(workload.chart, 'Namespace', { name: namespace });
  addDefaultDenyNetworkPolicy(workload.chart, 'DefaultDeny', namespace);
  addDnsEgressNetworkPolicy(workload.chart, 'Dns', namespace);
  addEgressNetworkPolicy(workload.chart, 'CloudApis', { name: 'allow-cloud-api-egress', namespace, tcpPorts: [443] });
  addWorkloadIdentityEgressNetworkPolicy(workload.chart, 'WorkloadIdentity', namespace, cluster.cloud);
  return workload;
}
