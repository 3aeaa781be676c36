import { Construct } from 'constructs';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { AwsCloud } from '../../core/cloud';
import { clusterHelmProvider } from '../helm/cluster-helm';

/** The helm provider for an EKS cluster: a token from `aws eks get-token` at plan/apply time. */
export function eksHelmProvider(scope: Construct, cloud: AwsCloud, clusterName: string, endpoint: string, caBase64: string): HelmProvider {
  return clusterHelmProvider(scope, cloud, endpoint, caBase64, {
    command: 'aws',
    args: ['eks', 'get-token', '--cluster-name', clusterName, '--region', cloud.region, '--output', 'json'],
  });
}
