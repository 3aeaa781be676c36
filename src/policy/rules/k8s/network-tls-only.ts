import { asObject, specOf } from '../../k8s-util';
import { kubernetesRule } from '../../rule';
import { blocks, strings } from '../../util';

/** True when every rule of the route redirects to https (the usual companion of an HTTP listener). */
function redirectsToHttps(route: Record<string, unknown>): boolean {
  const rules = blocks(asObject(route.spec).rules);
  return rules.length > 0 && rules.every((r) => blocks(r.filters).some((f) => f.type === 'RequestRedirect' && asObject(f.requestRedirect).scheme === 'https'));
}

/** AI-K8S-NET-1: endpoints are served over TLS only (Gateway listeners, Ingresses). */
export const NetworkTlsOnly = kubernetesRule({
  id: 'AI-K8S-NET-1',
  severity: 'error',
  title: 'Gateways and Ingresses serve TLS only',
  rationale: 'Prompts, completions and API keys cross the network in every request; plain HTTP exposes them to anyone on the path.',
  remediation: 'Use HTTPS (or TLS) listeners with a certificate; keep an HTTP listener only with routes that redirect to https. Give each Ingress a tls entry for every host.',
  kinds: ['Gateway', 'Ingress'],
  check(o, ctx) {
    if (o.kind === 'Ingress') {
      const tlsHosts = blocks(specOf(o).tls).flatMap((t) => strings(t.hosts));
      const hosts = blocks(specOf(o).rules).map((r) => r.host).filter((h): h is string => typeof h === 'string');
      if (blocks(specOf(o).tls).length === 0) return 'no tls section';
      const uncovered = hosts.filter((h) => !tlsHosts.includes(h));
      return uncovered.length ? `hosts without TLS: ${uncovered.join(', ')}` : undefined;
    }
    const routes = ctx.kubernetesObjects().filter((r) => r.kind === 'HTTPRoute' && r.namespace === o.namespace);
    return blocks(specOf(o).listeners).filter((l) => l.protocol === 'HTTP').filter((l) => {
      const attached = routes.filter((r) => blocks(specOf(r).parentRefs).some((p) => p.name === o.name && (p.sectionName === undefined || p.sectionName === l.name)));
      return attached.length === 0 || !attached.every((r) => redirectsToHttps(r.manifest));
    }).map((l) => `listener ${String(l.name)} serves plain HTTP`);
  },
});
