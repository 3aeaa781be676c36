// Kubernetes objects as plain JSON (so they can be schema-checked and snapshot-tested without a cluster),
// the shared base of the per-kind builders in this folder. Values may be cdktf tokens: the delivery layer
// passes those as Helm values.

/** A Kubernetes object as plain JSON. */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: K8sMetadata;
  readonly [field: string]: unknown;
}

export interface K8sMetadata {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export interface EnvVar {
  readonly name: string;
  readonly value: string;
}

export interface Toleration {
  readonly key: string;
  readonly operator: 'Equal' | 'Exists';
  readonly value?: string;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** `metadata` of an object: no namespace key for cluster-scoped objects, no empty annotations. */
export function objectMeta(name: string, namespace: string | undefined, labels: Record<string, string>, annotations?: Record<string, string>): K8sMetadata {
  return {
    name,
    ...(namespace !== undefined ? { namespace } : {}),
    labels,
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
}
