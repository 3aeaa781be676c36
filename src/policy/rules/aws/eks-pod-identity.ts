import { terraformRule } from '../../rule';

/** AI-AWS-EKS-6: pods get AWS credentials from EKS Pod Identity, not from the node role. */
export const EksPodIdentity = terraformRule({
  id: 'AI-AWS-EKS-6',
  severity: 'error',
  title: 'EKS cluster runs the Pod Identity agent (workload identity)',
  rationale: 'Without workload identity every pod inherits the node role, so one compromised pod reads every bucket the nodes can.',
  remediation: 'Add an aws_eks_addon with addon_name "eks-pod-identity-agent" for the cluster and bind roles with aws_eks_pod_identity_association.',
  resourceTypes: ['aws_eks_cluster'],
  check(cluster, ctx) {
    const addons = ctx.referencing('aws_eks_addon', cluster).concat(
      ctx.resources('aws_eks_addon').filter((a) => typeof cluster.attrs.name === 'string' && a.attrs.cluster_name === cluster.attrs.name));
    return addons.some((a) => a.attrs.addon_name === 'eks-pod-identity-agent') ? undefined : 'no eks-pod-identity-agent add-on';
  },
});
