import { terraformRule } from '../../rule';
import { dig, isAnywhere, isOff, strings } from '../../util';

/** AI-AWS-EKS-2: the API server is private or reachable only from listed networks. */
export const EksEndpointAccess = terraformRule({
  id: 'AI-AWS-EKS-2',
  severity: 'error',
  title: 'EKS API endpoint private or restricted to authorized networks',
  rationale: 'An API server open to 0.0.0.0/0 is one leaked credential or one CVE away from a cluster full of GPUs being mined.',
  remediation: 'Set vpc_config.endpoint_public_access = false (and endpoint_private_access = true), or list your networks in public_access_cidrs.',
  constructFix: 'GpuTrainingCluster endpointAccess: \'private\' (the default without authorizedNetworks), or authorizedNetworks: [your CIDRs] (not 0.0.0.0/0)',
  checkov: ['CKV_AWS_38', 'CKV_AWS_39'],
  resourceTypes: ['aws_eks_cluster'],
  check(cluster) {
    if (isOff(dig(cluster.attrs, 'vpc_config', 'endpoint_public_access'))) return undefined;
    const cidrs = strings(dig(cluster.attrs, 'vpc_config', 'public_access_cidrs'));
    if (cidrs.length === 0) return 'public endpoint open to 0.0.0.0/0 (public_access_cidrs unset)';
    return cidrs.some(isAnywhere) ? 'public endpoint open to 0.0.0.0/0' : undefined;
  },
});
