import { Construct } from 'constructs';
import type { ApiObject } from 'cdk8s';
import { apiObject } from './cdk8s';
import { Cloud } from '../core/cloud';
import { targetFor } from '../clouds/registry';
import { namespaceObject } from './objects/namespace';
import { networkPolicyOf } from './objects/network-policy';
import { podSecurityLabels, PodSecurityLevel } from './security';

/** Labels every object of this library carries. */
export const MANAGED_BY_LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/managed-by': 'cdktf-ai-infra' };

export interface NamespaceOptions {
  readonly name: string;
  /** Pod Security level enforced (and audited, warned). @default 'restricted' */
  readonly podSecurity?: PodSecurityLevel;
  /** Extra labels. @default - none */
  readonly labels?: Record<string, string>;
}

/** A Namespace labelled for Pod Security admission (enforce/audit/warn `restricted` by default). */
export function addNamespace(scope: Construct, id: string, options: NamespaceOptions): ApiObject {
  return apiObject(scope, id, namespaceObject(options.name, {
    ...(options.labels ?? {}), ...MANAGED_BY_LABELS, ...podSecurityLabels(options.podSecurity ?? 'restricted'),
  }));
}

/** Denies all ingress and egress of every pod in `namespace`; allow what is needed with further policies. */
export function addDefaultDenyNetworkPolicy(scope: Construct, id: string, namespace: string): ApiObject {
  return apiObject(scope, id, networkPolicyOf('default-deny-all', namespace, { ...MANAGED_BY_LABELS }, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }));
}

/**
 * Lets every pod in `namespace` resolve names: egress to the cluster DNS (CoreDNS/kube-dns pods in
 * kube-system, port 53 UDP and TCP) and to the NodeLocal DNSCache address (169.254.20.10).
 */
export function addDnsEgressNetworkPolicy(scope: Construct, id: string, namespace: string): ApiObject {
  const ports = [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }];
  return apiObject(scope, id, networkPolicyOf('allow-dns-egress', namespace, { ...MANAGED_BY_LABELS }, {
    podSelector: {},
    policyTypes: ['Egress'],
    egress: [
      {
        to: [{
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
          podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        }],
        ports,
      },
      { to: [{ ipBlock: { cidr: '169.254.20.10/32' } }], ports },
    ],
  }));
}

export interface EgressPolicyOptions {
  readonly name: string;
  readonly namespace: string;
  /** Pods the policy applies to. @default - every pod of the namespace */
  readonly podLabels?: Record<string, string>;
  /** TCP ports allowed. */
  readonly tcpPorts: readonly number[];
  /**
   * Destinations (CIDRs). Cloud APIs have no fixed addresses, so the default allows any address outside
   * the private ranges (the cluster's pods and nodes stay denied).
   * @default - 0.0.0.0/0 except the private ranges (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10) and
   * link-local 169.254.0.0/16 (cloud metadata and node agents)
   */
  readonly cidrs?: readonly string[];
}

/**
 * What "egress to the internet" excludes: RFC 1918 and the shared address space (RFC 6598, pod ranges on some
 * clusters), and all of link-local, where the cloud metadata endpoints and node agents listen (169.254.169.254,
 * 169.254.170.23, 169.254.20.10...): excluding 169.254.169.254/32 alone left the others open on port 443. A
 * workload that needs one of them gets its own policy (addWorkloadIdentityEgressNetworkPolicy, DNS).
 */
export const PRIVATE_AND_METADATA_CIDRS: readonly string[] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16'];

/** Allows egress on TCP ports (e.g. 443 to the cloud APIs) from selected pods of a namespace. */
export function addEgressNetworkPolicy(scope: Construct, id: string, options: EgressPolicyOptions): ApiObject {
  const to = options.cidrs
    ? options.cidrs.map((cidr) => ({ ipBlock: { cidr } }))
    : [{ ipBlock: { cidr: '0.0.0.0/0', except: [...PRIVATE_AND_METADATA_CIDRS] } }];
  return apiObject(scope, id, networkPolicyOf(options.name, options.namespace, { ...MANAGED_BY_LABELS }, {
    podSelector: options.podLabels ? { matchLabels: { ...options.podLabels } } : {},
    policyTypes: ['Egress'],
    egress: [{ to, ports: options.tcpPorts.map((port) => ({ protocol: 'TCP', port })) }],
  }));
}

/**
 * Lets pods with `podLabels` talk to each other on any port (torchrun rendezvous, NCCL/Gloo sockets),
 * both directions, inside `namespace` only.
 */
export function addPeerNetworkPolicy(scope: Construct, id: string, options: { name: string; namespace: string; podLabels: Record<string, string> }): ApiObject {
  const peers = [{ podSelector: { matchLabels: { ...options.podLabels } } }];
  return apiObject(scope, id, networkPolicyOf(options.name, options.namespace, { ...MANAGED_BY_LABELS }, {
    podSelector: { matchLabels: { ...options.podLabels } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [{ from: peers }],
    egress: [{ to: peers }],
  }));
}

/** Label of the namespaces whose Prometheus may scrape metrics ports (our self-managed monitoring namespace carries it). */
export const METRICS_SCRAPER_NAMESPACE_LABEL = 'cdktf-ai-infra/metrics-scraper';

/** Where metrics scrapes come from on `cloud`: namespaces labelled as scrapers (their Prometheus pods), and the managed collector's namespace. */
export function scraperPeers(cloud: Cloud): Record<string, unknown>[] {
  // GKE Managed Service for Prometheus (gmp-system), Azure Monitor managed Prometheus (ama-metrics in kube-system)
  const managed = targetFor(cloud).monitoring.managedCollectorNamespace;
  return [
    { namespaceSelector: { matchLabels: { [METRICS_SCRAPER_NAMESPACE_LABEL]: 'true' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } },
    ...(managed ? [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': managed } } }] : []),
  ];
}

/**
 * Lets the metrics scraper reach `port` of pods with `podLabels`: pods of `fromNamespace`, or on `cloud` the
 * scraper peers (`scraperPeers`: our Prometheus in a namespace labelled as scraper, the managed collector), or
 * else pods of any namespace.
 */
export function addMetricsIngressNetworkPolicy(scope: Construct, id: string, options: {
  name: string; namespace: string; podLabels: Record<string, string>; port: number; fromNamespace?: string; cloud?: Cloud;
}): ApiObject {
  const from = options.fromNamespace
    ? [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': options.fromNamespace } } }]
    : options.cloud ? scraperPeers(options.cloud) : [{ namespaceSelector: {} }];
  return apiObject(scope, id, networkPolicyOf(options.name, options.namespace, { ...MANAGED_BY_LABELS }, {
    podSelector: { matchLabels: { ...options.podLabels } },
    policyTypes: ['Ingress'],
    ingress: [{ from, ports: [{ protocol: 'TCP', port: options.port }] }],
  }));
}

/**
 * Where pods fetch workload-identity credentials on `cloud` (the cloud's `ClusterSpi.workloadIdentityEndpoints`:
 * a link-local agent or metadata server; none where the token is exchanged over HTTPS).
 */
export function workloadIdentityEndpoints(cloud: Cloud): { cidr: string; port: number }[] {
  return targetFor(cloud).cluster.workloadIdentityEndpoints.map((e) => ({ ...e }));
}

/**
 * Lets every pod in `namespace` reach its cloud's workload-identity credential endpoint (see
 * `workloadIdentityEndpoints`), which a default-deny egress policy would block. Returns undefined on clouds
 * that need none.
 */
export function addWorkloadIdentityEgressNetworkPolicy(scope: Construct, id: string, namespace: string, cloud: Cloud): ApiObject | undefined {
  const endpoints = workloadIdentityEndpoints(cloud);
  if (endpoints.length === 0) return undefined;
  return apiObject(scope, id, networkPolicyOf('allow-workload-identity-egress', namespace, { ...MANAGED_BY_LABELS }, {
    podSelector: {},
    policyTypes: ['Egress'],
    egress: endpoints.map((e) => ({ to: [{ ipBlock: { cidr: e.cidr } }], ports: [{ protocol: 'TCP', port: e.port }] })),
  }));
}
