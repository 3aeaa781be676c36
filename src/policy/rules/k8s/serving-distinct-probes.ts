import { asObject, perContainer } from '../../k8s-util';
import { kubernetesRule } from '../../rule';

/** The handler of a probe (what it calls), without its timing. */
function handler(probe: unknown): string | undefined {
  const p = asObject(probe);
  const h = p.httpGet ?? p.grpc ?? p.tcpSocket ?? p.exec;
  return h === undefined ? undefined : JSON.stringify(h);
}

/** AI-K8S-SRV-4: liveness and readiness probes check different things. */
export const ServingDistinctProbes = kubernetesRule({
  id: 'AI-K8S-SRV-4',
  severity: 'warning',
  title: 'Liveness and readiness probes call different endpoints',
  rationale: 'When both call the same endpoint, an overloaded or draining server fails liveness too and is restarted, turning a load spike into a restart storm.',
  remediation: 'Point readiness at "can serve now" (the model is loaded, not draining: /readyz, or /v1/models for vLLM) and liveness at "the process is alive" (/healthz, /health).',
  kinds: ['Deployment', 'StatefulSet'],
  check(o) {
    return perContainer(o, (c) => {
      const live = handler(c.livenessProbe);
      return live !== undefined && live === handler(c.readinessProbe) ? `liveness and readiness both call ${live}` : undefined;
    }, true);
  },
});
