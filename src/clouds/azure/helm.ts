import { Construct } from 'constructs';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { AzureCloud } from '../../core/cloud';
import { clusterHelmProvider } from '../helm/cluster-helm';

/** The AKS AAD server application id (the audience of Entra ID tokens for AKS). */
export const AKS_AAD_SERVER_ID = '6dae42f8-4368-4678-94ff-3960e28e3630';

/**
 * The helm provider for an AKS cluster with local accounts disabled: Entra ID tokens from `kubelogin`
 * (`--login azurecli`: the identity Terraform runs as, which needs an AKS RBAC role on the cluster).
 */
export function aksHelmProvider(scope: Construct, cloud: AzureCloud, host: string, caBase64: string): HelmProvider {
  return clusterHelmProvider(scope, cloud, host, caBase64, {
    command: 'kubelogin',
    args: ['get-token', '--login', 'azurecli', '--server-id', AKS_AAD_SERVER_ID],
  });
}
