// `NetworkPolicy` (networking.k8s.io/v1) builders for one workload's pods.
import { K8sObject, objectMeta } from './object';
import { cidrContains } from '../../core/cidr';

/** RFC 1918: where internal load balancers and in-VPC gateway proxies connect from. */
export const PRIVATE_CIDRS: readonly string[] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];

export interface NetworkPolicyInput {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** Pods it guards. */
  readonly podSelector: Record<string, string>;
  /** The one TCP port it admits. */
  readonly port: number;
  /** Load balancer / gateway proxy source ranges. */
  readonly cidrs: readonly string[];
  /** The cluster's pod ranges, never admitted through `cidrs` (see `ipBlockPeers`). @default - unknown */
  readonly podCidrs?: readonly string[];
  /** Namespace of the Prometheus scraper. */
  readonly scraperNamespace: string;
  /** Namespaces of in-cluster gateway proxies, when the gateway runs in the cluster. */
  readonly gatewayNamespaces?: readonly string[];
  /** Pods of another namespace admitted on `port` (e.g. a request-holding proxy that connects to pod IPs). */
  readonly podPeers?: readonly PodPeer[];
}

/** Pods with `podLabels` in `namespace`. */
export interface PodPeer {
  readonly namespace: string;
  readonly podLabels: Readonly<Record<string, string>>;
}

function podPeer(p: PodPeer): Record<string, unknown> {
  return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': p.namespace } }, podSelector: { matchLabels: { ...p.podLabels } } };
}

/**
 * ipBlock peers for load balancer / proxy ranges that never admit a pod: where a CNI applies ipBlocks to pod IPs
 * (EKS's VPC CNI does; Cilium on GKE and AKS does not), a pod with open egress inside `10.0.0.0/8` would pass as
 * the load balancer. A pod range inside a source range becomes an `except`; a source range inside a pod range
 * admits nothing but pods and is left out.
 */
export function ipBlockPeers(cidrs: readonly string[], podCidrs: readonly string[] = []): { ipBlock: { cidr: string; except?: string[] } }[] {
  return cidrs
    .filter((cidr) => !podCidrs.some((pods) => cidrContains(pods, cidr)))
    .map((cidr) => {
      const except = podCidrs.filter((pods) => cidrContains(cidr, pods)).sort();
      return { ipBlock: { cidr, ...(except.length > 0 ? { except } : {}) } };
    });
}

/** Admits only `peers` on `port` (a workload that one proxy alone may reach). */
export function podPeerPolicy(name: string, namespace: string, labels: Record<string, string>, podSelector: Record<string, string>,
  port: number, peers: readonly PodPeer[]): K8sObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: objectMeta(name, namespace, labels),
    spec: {
      podSelector: { matchLabels: podSelector },
      policyTypes: ['Ingress'],
      ingress: [{ from: peers.map(podPeer), ports: [{ protocol: 'TCP', port }] }],
    },
  };
}

/** Admits the ingress path and the monitoring scraper on `port`; nothing else. */
export function networkPolicy(input: NetworkPolicyInput): K8sObject {
  const port = [{ protocol: 'TCP', port: input.port }];
  const nsPeer = (ns: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } });
  const from: Record<string, unknown>[] = [
    ...ipBlockPeers(input.cidrs, input.podCidrs),
    ...(input.gatewayNamespaces ?? []).map(nsPeer),
    ...(input.podPeers ?? []).map(podPeer),
  ];
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: objectMeta(input.name, input.namespace, input.labels),
    spec: {
      podSelector: { matchLabels: input.podSelector },
      policyTypes: ['Ingress'],
      // An empty `from` would admit every source: the ingress-path rule exists only when it names some.
      ingress: [
        ...(from.length > 0 ? [{ from, ports: port }] : []),
        { from: [nsPeer(input.scraperNamespace)], ports: port },
      ],
    },
  };
}

/** Lets the pods reach the node-local credential endpoint of the cloud's workload identity. */
export function identityEgressPolicy(name: string, namespace: string, labels: Record<string, string>, podSelector: Record<string, string>,
  targets: readonly { cidr: string; ports: readonly number[] }[]): K8sObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: objectMeta(name, namespace, labels),
    spec: {
      podSelector: { matchLabels: podSelector },
      policyTypes: ['Egress'],
      egress: targets.map((t) => ({ to: [{ ipBlock: { cidr: t.cidr } }], ports: t.ports.map((port) => ({ protocol: 'TCP', port })) })),
    },
  };
}

/** A NetworkPolicy with the given spec (namespace-wide baselines: default deny, DNS, same-namespace flows). */
export function networkPolicyOf(name: string, namespace: string, labels: Record<string, string>, spec: Record<string, unknown>): K8sObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: objectMeta(name, namespace, labels), spec };
}
