// An evaluator of the Kubernetes NetworkPolicy spec (networking.k8s.io/v1), for reachability tests of the rendered
// policies (issue 21). np-guard's analyzer is not served here; this follows the API reference and is tested against
// cases of the upstream e2e netpol matrix (test/k8s/netpol.test.ts). Semantics:
// - a pod is isolated for ingress (egress) when a policy of its namespace selects it with that policy type
//   (policyTypes defaults to Ingress, plus Egress when the policy has egress rules);
// - a connection is allowed when the source side allows it (not isolated for egress, or some egress rule of a
//   policy selecting the source admits the destination and port) and the destination side does too (for a pod);
// - a peer is a podSelector (pods of the policy's namespace), a namespaceSelector (every pod of those namespaces),
//   both (those pods of those namespaces), or an ipBlock (addresses in cidr outside except; applied to pod IPs as
//   well, as CNIs do for pods outside the cluster network); no `from`/`to` = every peer; no `ports` = every port.

export interface LabelSelector {
  readonly matchLabels?: Record<string, string>;
  readonly matchExpressions?: readonly { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: readonly string[] }[];
}

export interface NetworkPolicy {
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly spec: {
    readonly podSelector: LabelSelector;
    readonly policyTypes?: readonly ('Ingress' | 'Egress')[];
    readonly ingress?: readonly PolicyRule[];
    readonly egress?: readonly PolicyRule[];
  };
}

interface Peer {
  readonly podSelector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
  readonly ipBlock?: { readonly cidr: string; readonly except?: readonly string[] };
}

interface PolicyRule {
  readonly from?: readonly Peer[];
  readonly to?: readonly Peer[];
  readonly ports?: readonly { readonly protocol?: string; readonly port?: number | string; readonly endPort?: number }[];
}

/** A pod (namespace, labels, address, named container ports) or an address outside the cluster (no namespace). */
export interface Endpoint {
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  readonly ip: string;
  readonly namedPorts?: Record<string, number>;
}

export interface Cluster {
  /** Namespace labels by name (`kubernetes.io/metadata.name` is added, as the API server does). */
  readonly namespaces: Record<string, Record<string, string>>;
  readonly policies: readonly NetworkPolicy[];
}

export function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const ok = e.operator === 'In' ? has && (e.values ?? []).includes(labels[e.key])
      : e.operator === 'NotIn' ? !has || !(e.values ?? []).includes(labels[e.key])
        : e.operator === 'Exists' ? has : !has;
    if (!ok) return false;
  }
  return true;
}

function ipToNumber(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return parts.reduce((n, p) => n * 256 + p, 0);
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits ?? 32));
  const start = ipToNumber(base) - (ipToNumber(base) % size);
  const n = ipToNumber(ip);
  return n >= start && n < start + size;
}

function namespaceLabels(cluster: Cluster, ns: string): Record<string, string> {
  return { ...(cluster.namespaces[ns] ?? {}), 'kubernetes.io/metadata.name': ns };
}

function peerMatches(cluster: Cluster, peer: Peer, policyNamespace: string, other: Endpoint): boolean {
  if (peer.ipBlock) return inCidr(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(other.ip, c));
  if (other.namespace === undefined) return false; // selectors match pods only
  const nsOk = peer.namespaceSelector ? selects(peer.namespaceSelector, namespaceLabels(cluster, other.namespace)) : other.namespace === policyNamespace;
  return nsOk && (peer.podSelector ? selects(peer.podSelector, other.labels ?? {}) : true);
}

function portMatches(rule: PolicyRule, target: Endpoint, port: number, protocol: string): boolean {
  if (!rule.ports || rule.ports.length === 0) return true;
  return rule.ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== protocol) return false;
    if (p.port === undefined) return true;
    const first = typeof p.port === 'number' ? p.port : target.namedPorts?.[p.port];
    if (first === undefined) return false;
    return port >= first && port <= (typeof p.port === 'number' && p.endPort !== undefined ? p.endPort : first);
  });
}

function types(policy: NetworkPolicy): readonly string[] {
  return policy.spec.policyTypes ?? (policy.spec.egress ? ['Ingress', 'Egress'] : ['Ingress']);
}

/** Whether `pod`'s side admits the connection in `direction` with `peer` (the other end) on port/protocol. */
function sideAllows(cluster: Cluster, pod: Endpoint, direction: 'Ingress' | 'Egress', peer: Endpoint, port: number, protocol: string): boolean {
  const applying = cluster.policies.filter((p) => p.metadata.namespace === pod.namespace
    && selects(p.spec.podSelector, pod.labels ?? {}) && types(p).includes(direction));
  if (applying.length === 0) return true;
  // The port is the destination's: for egress the peer is the destination, for ingress this pod is.
  const destination = direction === 'Egress' ? peer : pod;
  return applying.some((p) => (direction === 'Egress' ? p.spec.egress : p.spec.ingress)?.some((rule) => {
    const peers = direction === 'Egress' ? rule.to : rule.from;
    return (!peers || peers.length === 0 || peers.some((x) => peerMatches(cluster, x, p.metadata.namespace, peer))) && portMatches(rule, destination, port, protocol);
  }) ?? false);
}

/** Whether `from` may open a connection to `to` on `port`/`protocol` under the cluster's policies. */
export function allowed(cluster: Cluster, from: Endpoint, to: Endpoint, port: number, protocol = 'TCP'): boolean {
  const egress = from.namespace === undefined || sideAllows(cluster, from, 'Egress', to, port, protocol);
  const ingress = to.namespace === undefined || sideAllows(cluster, to, 'Ingress', from, port, protocol);
  return egress && ingress;
}
