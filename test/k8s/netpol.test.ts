// The NetworkPolicy evaluator (test/k8s/netpol.ts) on cases of the upstream e2e netpol matrix
// (kubernetes test/e2e/network/netpol: namespaces x, y, z with pods a, b, c each, labelled pod=<name>, namespaces
// labelled ns=<name>; ports 80 and 81, TCP and UDP). Each case lists the pairs that differ from "all allowed".
import { allowed, Cluster, Endpoint, NetworkPolicy } from './netpol';

const NAMESPACES = ['x', 'y', 'z'];
const PODS = ['a', 'b', 'c'];
const pods: Record<string, Endpoint> = {};
NAMESPACES.forEach((ns, i) => PODS.forEach((p, j) => {
  pods[`${ns}/${p}`] = { namespace: ns, labels: { pod: p }, ip: `10.0.${i}.${j + 1}`, namedPorts: { 'serve-80-tcp': 80, 'serve-81-tcp': 81 } };
}));
const cluster = (...policies: NetworkPolicy[]): Cluster => ({
  namespaces: Object.fromEntries(NAMESPACES.map((ns) => [ns, { ns }])), policies,
});
const policy = (namespace: string, spec: NetworkPolicy['spec']): NetworkPolicy => ({ metadata: { name: 'p', namespace }, spec });

/** The pairs `from -> to` (every pod to every pod) the cluster denies on port/protocol. */
function denied(c: Cluster, port = 80, protocol = 'TCP'): string[] {
  const out: string[] = [];
  for (const [f, from] of Object.entries(pods)) {
    for (const [t, to] of Object.entries(pods)) if (!allowed(c, from, to, port, protocol)) out.push(`${f}->${t}`);
  }
  return out;
}
const all = (pred: (from: string, to: string) => boolean) => Object.keys(pods).flatMap((f) => Object.keys(pods).filter((t) => pred(f, t)).map((t) => `${f}->${t}`));

describe('NetworkPolicy evaluator: upstream e2e netpol matrix cases', () => {
  test('no policy: everything reachable', () => {
    expect(denied(cluster())).toEqual([]);
  });

  test('default-deny-ingress in x', () => {
    expect(denied(cluster(policy('x', { podSelector: {}, policyTypes: ['Ingress'] })))).toEqual(all((_f, t) => t.startsWith('x/')));
  });

  test('deny egress from all pods of x', () => {
    expect(denied(cluster(policy('x', { podSelector: {}, policyTypes: ['Egress'] })))).toEqual(all((f) => f.startsWith('x/')));
  });

  test('allow traffic to x/a from pods of the server namespace by PodSelector (pod=b)', () => {
    const c = cluster(policy('x', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }] }));
    expect(denied(c)).toEqual(all((f, t) => t === 'x/a' && f !== 'x/b'));
  });

  test('NamespaceSelector with MatchExpressions (ns In [y])', () => {
    const c = cluster(policy('x', {
      podSelector: { matchLabels: { pod: 'a' } },
      ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'ns', operator: 'In', values: ['y'] }] } }] }],
    }));
    expect(denied(c)).toEqual(all((f, t) => t === 'x/a' && !f.startsWith('y/')));
  });

  test('PodSelector OR NamespaceSelector (two peers) vs PodSelector AND NamespaceSelector (one peer)', () => {
    const or = cluster(policy('x', {
      podSelector: { matchLabels: { pod: 'a' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }, { podSelector: { matchLabels: { pod: 'b' } } }] }],
    }));
    expect(denied(or)).toEqual(all((f, t) => t === 'x/a' && !f.startsWith('y/') && f !== 'x/b'));
    const and = cluster(policy('x', {
      podSelector: { matchLabels: { pod: 'a' } },
      ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'ns', operator: 'NotIn', values: ['x'] }] }, podSelector: { matchLabels: { pod: 'b' } } }] }],
    }));
    expect(denied(and)).toEqual(all((f, t) => t === 'x/a' && !['y/b', 'z/b'].includes(f)));
  });

  test('ports, named ports, endPort and protocols', () => {
    const only81 = cluster(policy('x', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 81, protocol: 'TCP' }] }] }));
    expect(denied(only81, 80)).toEqual(all((_f, t) => t === 'x/a'));
    expect(denied(only81, 81)).toEqual([]);
    const named = cluster(policy('x', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 'serve-80-tcp' }] }] }));
    expect([denied(named, 80), denied(named, 81).length]).toEqual([[], 9]);
    const range = cluster(policy('x', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 80, endPort: 81 }] }] }));
    expect([denied(range, 80), denied(range, 81), denied(range, 82).length]).toEqual([[], [], 9]);
    const udp = cluster(policy('x', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ protocol: 'UDP' }] }] }));
    expect([denied(udp, 80, 'UDP'), denied(udp, 80, 'TCP').length]).toEqual([[], 9]);
  });

  test('egress to a CIDR block, and its except clause', () => {
    const cidr = cluster(policy('x', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: `${pods['y/b'].ip}/32` } }] }] }));
    expect(denied(cidr)).toEqual(all((f, t) => f === 'x/a' && t !== 'y/b'));
    const except = cluster(policy('x', {
      podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/16', except: [`${pods['y/b'].ip}/32`] } }] }],
    }));
    expect(denied(except)).toEqual(['x/a->y/b']);
  });

  test('egress to a server in another namespace by PodSelector AND NamespaceSelector, policies add up', () => {
    const c = cluster(
      policy('x', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'b' } } }] }] }),
      policy('x', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { pod: 'c' } } }] }] }),
    );
    expect(denied(c)).toEqual(all((f, t) => f === 'x/a' && !['y/b', 'x/c'].includes(t)));
  });
});
