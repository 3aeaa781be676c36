import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { Cloud } from '../../core/cloud';
import { physicalName } from '../../core/naming';

/** How the helm provider gets a short-lived token: an exec credential plugin, never a static token. */
export interface ExecCredential {
  readonly command: string;
  readonly args: string[];
}

/**
 * A helm provider for one cluster, aliased per cluster (`helm-<path>-<hash>`), configured from the
 * cluster's endpoint and CA with an exec credential plugin (`aws eks get-token`,
 * `gke-gcloud-auth-plugin`, `kubelogin`): the synthesized JSON holds no secret.
 */
export function clusterHelmProvider(scope: Construct, cloud: Cloud, host: string, caBase64: string, exec: ExecCredential): HelmProvider {
  return new HelmProvider(scope, 'Helm', {
    alias: `helm-${physicalName(scope, cloud, { maxLength: 60 })}`,
    kubernetes: {
      host,
      clusterCaCertificate: Fn.base64decode(caBase64),
      exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: exec.command, args: exec.args },
    },
  });
}
