// EKS's GpuTrainingCluster: the cloud facts generic validation reads, and the builders (src/training/spi.ts).
import type { AwsCloud } from '../../core/cloud';
import { check, InvalidPropError } from '../../core/errors';
import type { ClusterSpi } from '../../training/spi';
import { awsGpuCluster, awsImportedCluster } from './gpu-cluster';

export const cluster: ClusterSpi<AwsCloud> = {
  checkAdmins(scope, admins) {
    admins.forEach((a) => check.matches(scope, 'admins', a, /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/, 'IAM role or user ARNs'));
  },
  checkExistingNetwork(scope, existing) {
    const subnets = existing.subnetIds ?? [];
    if (subnets.length < 2) throw new InvalidPropError(scope, 'network.existing.subnetIds', subnets, 'at least 2 private subnet ids in distinct zones');
  },
  zonePattern: (c) => ({ re: new RegExp(`^${c.region}[a-z]$`), what: `zones of ${c.region}, e.g. "${c.region}a"` }),
  regionalPoolsAllowed: false,
  defaultSystemMachineType: 'm6i.xlarge',
  reservationId: { re: /^cr-[0-9a-f]{8,17}$/, what: 'an EC2 capacity reservation id (cr-...)' },
  queuedProvisioningUnsupported: 'false on AWS (use a capacity block reservation)',
  poolPlacement: () => ({ taints: [], nodeSelector: {} }),
  // The cluster-autoscaler's `--gpu-total` caps all rungs of a pool together.
  separatelyCappedGroups: () => 1,
  gatewayApiByDefault: false,
  // The EKS Pod Identity agent.
  workloadIdentityEndpoints: [{ cidr: '169.254.170.23/32', port: 80 }],
  build: awsGpuCluster,
  buildImported: awsImportedCluster,
};
