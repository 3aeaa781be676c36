// `ValidatingAdmissionPolicy` and its `ValidatingAdmissionPolicyBinding` (admissionregistration.k8s.io/v1),
// cluster-scoped: a policy does nothing without a binding, so the two are built together.
import { K8sObject, objectMeta } from './object';

export interface ValidatingAdmissionPolicyInput {
  readonly name: string;
  readonly labels: Record<string, string>;
  /** Operations on resources it sees (`matchConstraints.resourceRules`). */
  readonly resourceRules: readonly Record<string, unknown>[];
  readonly variables: readonly { readonly name: string; readonly expression: string }[];
  readonly validations: readonly Record<string, unknown>[];
  /** Which namespaces the binding applies it in. */
  readonly namespaceSelector: Record<string, unknown>;
}

/** The policy (failing closed: an error in it denies) and a binding that denies what it rejects. */
export function validatingAdmissionPolicy(input: ValidatingAdmissionPolicyInput): [K8sObject, K8sObject] {
  return [{
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: objectMeta(input.name, undefined, input.labels),
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: { resourceRules: input.resourceRules },
      variables: input.variables,
      validations: input.validations,
    },
  }, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: objectMeta(input.name, undefined, input.labels),
    spec: { policyName: input.name, validationActions: ['Deny'], matchResources: { namespaceSelector: input.namespaceSelector } },
  }];
}
