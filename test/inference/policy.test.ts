// The library's policy pack (Terraform and Kubernetes rules) finds nothing on an endpoint's resources
// and objects, public, with a canary, on every cloud.
import { PolicyPack } from '../../src/policy/pack';
import { build, CLOUDS, CloudName } from './helpers';

const AKS_SUBNET = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/nodes';

test.each(Object.keys(CLOUDS) as CloudName[])('%s: no policy finding on the endpoint', (cloud) => {
  const b = build(cloud, () => ({
    exposure: { type: 'public', domainName: 'chat.example.com', ...(cloud === 'azure' ? { certificate: { certManagerClusterIssuer: 'letsencrypt' } } : {}) },
    auth: cloud === 'azure' ? { keyVaultNetwork: { allowedSubnetIds: [AKS_SUBNET] } } : {},
    canary: { steps: [5, 25, 50], interval: '10m', slo: { errorRatio: 0.01, p95TtftMs: 800 } },
    monitoring: { prometheusQueryUrl: 'http://prometheus-operated.monitoring.svc:9090' },
  }));
  const mine = PolicyPack.check(b.stack)
    .filter((f) => f.suppressedReason === undefined)
    .filter((f) => f.constructPath.startsWith('platform/chat') || f.subject.includes(b.endpoint.name) || f.constructPath.includes('InferenceAddons'));
  expect(mine.map((f) => `${f.severity} ${f.ruleId} ${f.subject}: ${f.message}`)).toEqual([]);
});

// Scaled to zero, the endpoint sits behind a gateway (its route reaches the request-holding activator); public here, as
// an internal gateway's plain-HTTP listener is AI-K8S-NET-1's finding whatever routes it.
test.each(Object.keys(CLOUDS) as CloudName[])('%s: no policy finding on a vLLM endpoint with an API key, scaled to zero behind the activator', (cloud) => {
  const b = build(cloud, ({ models }) => ({
    runtime: 'vllm', image: undefined, model: models.model('llm/llama-8b', { parameterCount: 8_030_000_000 }),
    exposure: { type: 'public', domainName: 'llm.example.com', ...(cloud === 'azure' ? { certificate: { certManagerClusterIssuer: 'letsencrypt' } } : {}) },
    auth: { apiKey: true, ...(cloud === 'azure' ? { keyVaultNetwork: { allowedSubnetIds: [AKS_SUBNET] } } : {}) },
    autoscaling: { scaleToZero: true }, schedule: [{ start: '0 8 * * 1-5', end: '0 18 * * 1-5' }],
    monitoring: { prometheusQueryUrl: 'http://prometheus-operated.monitoring.svc:9090' },
  }));
  const mine = PolicyPack.check(b.stack)
    .filter((f) => f.suppressedReason === undefined)
    .filter((f) => f.constructPath.startsWith('platform/chat') || f.subject.includes(b.endpoint.name) || f.constructPath.includes('InferenceAddons'));
  expect(mine.map((f) => `${f.severity} ${f.ruleId} ${f.subject}: ${f.message}`)).toEqual([]);
});
