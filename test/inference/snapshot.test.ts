// Snapshots of what an endpoint delivers (Kubernetes objects and its own Terraform resources), per cloud:
// a public endpoint with a canary on vLLM, and the internal builtin default. A prebuilt image keeps the
// snapshots independent of the compute/ build context hash.
import { build, CLOUDS, CloudName, endpointObjects, Json, synthJson } from './helpers';

const AKS_SUBNET = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/nodes';

/** The endpoint's own Terraform resources (its construct path), by type. */
function ownResources(json: Json): Json {
  const out: Json = {};
  for (const [type, byId] of Object.entries(json.resource as Json)) {
    for (const [id, body] of Object.entries(byId as Json)) {
      if (id.startsWith('chat_')) out[`${type}.${id}`] = body;
    }
  }
  return out;
}

describe.each(Object.keys(CLOUDS) as CloudName[])('%s', (cloud) => {
  test('internal builtin endpoint (defaults)', () => {
    const b = build(cloud);
    expect({ objects: endpointObjects(b), terraform: ownResources(synthJson(b.stack)) }).toMatchSnapshot();
  });

  test('public vLLM endpoint with a canary and KEDA', () => {
    const b = build(cloud, ({ models }) => ({
      runtime: 'vllm', image: 'vllm/vllm-openai:v0.11.0',
      model: models.model('llm/llama-8b', { parameterCount: 8_030_000_000 }),
      canary: { model: models.model('llm/llama-8b-ft'), weight: 20 },
      exposure: { type: 'public', domainName: 'chat.example.com', ...(cloud === 'azure' ? { certificate: { certManagerClusterIssuer: 'letsencrypt' } } : {}) },
      auth: cloud === 'azure' ? { keyVaultNetwork: { allowedSubnetIds: [AKS_SUBNET] } } : {},
      monitoring: { prometheusQueryUrl: 'http://prometheus-operated.monitoring.svc:9090' },
      replicas: { min: 2, max: 8 },
    }));
    expect({ objects: endpointObjects(b), terraform: ownResources(synthJson(b.stack)) }).toMatchSnapshot();
  });
});
