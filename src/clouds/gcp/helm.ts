import { Construct } from 'constructs';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { GcpCloud } from '../../core/cloud';
import { clusterHelmProvider } from '../helm/cluster-helm';

/** The helm provider for a GKE cluster: tokens from `gke-gcloud-auth-plugin` at plan/apply time. */
export function gkeHelmProvider(scope: Construct, cloud: GcpCloud, endpoint: string, caBase64: string): HelmProvider {
  return clusterHelmProvider(scope, cloud, `https://${endpoint}`, caBase64, { command: 'gke-gcloud-auth-plugin', args: [] });
}
