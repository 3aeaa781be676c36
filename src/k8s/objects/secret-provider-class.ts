// Secrets Store CSI driver `SecretProviderClass` (secrets-store.csi.x-k8s.io/v1) and the pod volume that mounts it.
import { K8sObject, objectMeta } from './object';

/** Which secret of the cloud's secret manager lands in which file. */
export function secretProviderClass(name: string, namespace: string, labels: Record<string, string>, provider: string,
  parameters: Record<string, string>): K8sObject {
  return {
    apiVersion: 'secrets-store.csi.x-k8s.io/v1',
    kind: 'SecretProviderClass',
    metadata: objectMeta(name, namespace, labels),
    spec: { provider, parameters },
  };
}

/** A pod volume that mounts a SecretProviderClass read-only. */
export function csiSecretVolume(volumeName: string, secretProviderClassName: string): Record<string, unknown> {
  return {
    name: volumeName,
    csi: { driver: 'secrets-store.csi.k8s.io', readOnly: true, volumeAttributes: { secretProviderClass: secretProviderClassName } },
  };
}
