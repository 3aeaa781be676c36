import { asObject, specOf } from '../../k8s-util';
import { kubernetesRule } from '../../rule';
import { strings } from '../../util';

const INTERNAL: Record<string, string[]> = {
  'service.beta.kubernetes.io/aws-load-balancer-scheme': ['internal'],
  'service.beta.kubernetes.io/aws-load-balancer-internal': ['true', '0.0.0.0/0'],
  'networking.gke.io/load-balancer-type': ['Internal'],
  'cloud.google.com/load-balancer-type': ['Internal'],
  'service.beta.kubernetes.io/azure-load-balancer-internal': ['true'],
};

/** AI-K8S-SVC-1: LoadBalancer Services are internal or restricted to source ranges; no NodePorts. */
export const ServiceLoadBalancerInternal = kubernetesRule({
  id: 'AI-K8S-SVC-1',
  severity: 'warning',
  title: 'LoadBalancer Services internal or limited by source ranges; no NodePort',
  rationale: 'An internet-facing load balancer puts the model server (and its API-key check) in front of everyone; NodePorts open every node.',
  remediation: 'Use an internal load balancer annotation, or set loadBalancerSourceRanges, or publish through an Ingress/Gateway with TLS and auth.',
  constructFix: 'InferenceEndpoint exposure.type \'internal\' (the default), or exposure.allowedCidrs; public endpoints go through a Gateway with TLS',
  checkov: ['CKV_K8S_15'],
  kinds: ['Service'],
  check(o) {
    const spec = specOf(o);
    if (spec.type === 'NodePort') return 'type NodePort';
    if (spec.type !== 'LoadBalancer') return undefined;
    const annotations = asObject(asObject(o.manifest.metadata).annotations);
    const internal = Object.entries(INTERNAL).some(([k, values]) => values.includes(String(annotations[k])));
    return internal || strings(spec.loadBalancerSourceRanges).length > 0 ? undefined : 'internet-facing LoadBalancer without loadBalancerSourceRanges';
  },
});
