// Issue 22 item 3: scale from zero that holds requests. A scale-to-zero endpoint sits behind the KEDA HTTP add-on's
// interceptor: HTTPRoute -> interceptor proxy (keda, ReferenceGrant) -> InterceptorRoute (header match) -> the
// endpoint's Service; after the cold-start wait -> the 503 + Retry-After responder. On every cloud.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { InvalidPropError } from '../../src/core/errors';
import { TerraformStack } from 'cdktf';
import { InferenceEndpoint } from '../../src/inference/inference-endpoint';
import type { InferenceEndpointProps } from '../../src/inference/types';
import {
  ACTIVATOR_BACKEND_POD_LABELS, ACTIVATOR_NAMESPACE, COLD_START, coldStartEstimate, EXTERNAL_SCALER_ADDRESS, INTERCEPTOR_ADMIN_PORT, INTERCEPTOR_PROXY_PORT, INTERCEPTOR_PROXY_SERVICE,
  RESPONDER_IMAGE, RESPONDER_PORT, responderConfig, ROUTE_HEADER,
} from '../../src/inference/activator';
import { KEDA_HTTP_ADDON_CHART } from '../../src/inference/addons';
import { manifestsOf } from '../k8s/validate';
import { validateAll } from './crds';
import { build, byKind, CLOUDS, CloudName, endpointObjects, Json, resources, SERVER_IMAGE, synthJson } from './helpers';

const AKS_SUBNET = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/nodes';

/** Internal on AWS/GCP; Azure's gateway (Application Gateway for Containers) has public frontends only, so a named class. */
function scaledToZero(cloud: CloudName, extra: Json = {}) {
  return build(cloud, () => ({
    autoscaling: { scaleToZero: true, ...(extra.autoscaling ?? {}) },
    ...(cloud === 'azure' ? { exposure: { gatewayClassName: 'internal-gateway' } } : {}),
    ...extra.props,
  }));
}

describe.each(Object.keys(CLOUDS) as CloudName[])('%s: the activator chain', (cloud) => {
  const b = scaledToZero(cloud);
  const objects = endpointObjects(b);
  const app = b.endpoint.name;
  const ns = b.endpoint.namespace;

  test('every object is schema-valid', () => {
    expect(() => validateAll(objects)).not.toThrow();
  });

  test('HTTPRoute -> the interceptor proxy in keda, with the header that picks this endpoint; a ReferenceGrant for exactly that Service', () => {
    const route = byKind(objects, 'HTTPRoute');
    const rule = (route.spec as Json).rules[0];
    expect(rule.backendRefs).toEqual([{ name: INTERCEPTOR_PROXY_SERVICE, namespace: ACTIVATOR_NAMESPACE, port: INTERCEPTOR_PROXY_PORT, weight: 100 }]);
    expect(rule.filters).toEqual([{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: ROUTE_HEADER, value: `${ns}.${app}` }] } }]);
    const grant = byKind(objects, 'ReferenceGrant');
    expect(grant.metadata.namespace).toBe('keda');
    expect(grant.spec).toEqual({
      from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: ns }],
      to: [{ group: '', kind: 'Service', name: INTERCEPTOR_PROXY_SERVICE }],
    });
  });

  test('InterceptorRoute: that header -> the endpoint Service; wait = the cold-start estimate; fallback -> the responder', () => {
    const ir = byKind(objects, 'InterceptorRoute');
    const spec = ir.spec as Json;
    const svc = byKind(objects, 'Service', app);
    expect(spec.target).toEqual({ service: svc.metadata.name, port: (svc.spec as Json).ports[0].port });
    expect(spec.rules).toEqual([{ hosts: ['*'], headers: [{ name: ROUTE_HEADER, value: `${ns}.${app}` }] }]);
    const wait = b.endpoint.activator!.waitSeconds;
    expect(wait).toBe(b.endpoint.activator!.estimate.totalSeconds);
    expect(spec.timeouts.readiness).toBe(`${wait}s`);
    // The request budget covers the wait plus the longest request (120 s default).
    expect(spec.timeouts.request).toBe(`${wait + 150}s`);
    const responder = byKind(objects, 'Service', `${app}-cold-start`);
    expect(spec.coldStart).toEqual({ fallback: { service: { name: responder.metadata.name, port: (responder.spec as Json).ports[0].port } } });
    // The endpoint's Service stays ClusterIP behind the gateway (no load balancer of its own bypasses the activator).
    expect((svc.spec as Json).type).toBe('ClusterIP');
  });

  test('one ScaledObject: the add-on\'s scaler on this InterceptorRoute wakes the Deployment from zero', () => {
    const so = byKind(objects, 'ScaledObject');
    expect((so.spec as Json).minReplicaCount).toBe(0);
    expect((so.spec as Json).scaleTargetRef.name).toBe(app);
    expect((so.spec as Json).triggers).toContainEqual({
      type: 'external-push', name: 'http-requests', metadata: { scalerAddress: EXTERNAL_SCALER_ADDRESS, interceptorRoute: byKind(objects, 'InterceptorRoute').metadata.name },
    });
    expect(objects.filter((o) => o.kind === 'HTTPScaledObject')).toEqual([]);
  });

  test('NetworkPolicies: the interceptor pods reach the endpoint on its port and the responder on its; nothing else reaches the responder', () => {
    const peer = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'keda' } },
      podSelector: { matchLabels: { 'app.kubernetes.io/component': 'interceptor', 'app.kubernetes.io/name': 'http-add-on' } } };
    const endpointPolicy = byKind(objects, 'NetworkPolicy', app).spec as Json;
    expect(endpointPolicy.ingress[0].from).toContainEqual(peer);
    expect(endpointPolicy.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 8000 }]);
    const responderPolicy = byKind(objects, 'NetworkPolicy', `${app}-cold-start`).spec as Json;
    expect(responderPolicy).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': `${app}-cold-start` } }, policyTypes: ['Ingress'],
      ingress: [{ from: [peer], ports: [{ protocol: 'TCP', port: RESPONDER_PORT }] }],
    });
  });

  test('KEDA\'s namespace admits the chain: the interceptor takes the sources the endpoint admits from its gateway; the pods carry the backend label', () => {
    const keda = kedaPolicies(b.stack);
    expect(keda.map((p) => p.metadata.name)).toEqual(expect.arrayContaining(['default-deny-all', 'allow-keda-http-interceptor', 'allow-keda-http-external-scaler', 'allow-keda-http-controller']));
    const endpointSources = ((byKind(objects, 'NetworkPolicy', app).spec as Json).ingress[0].from as Json[]).filter((f) => f.ipBlock).map((f) => f.ipBlock.cidr);
    expect(endpointSources.length).toBeGreaterThan(0);
    expect(interceptorSources(keda)).toEqual([...endpointSources].sort());
    const pod = (byKind(objects, 'Deployment', app).spec as Json).template.metadata.labels;
    expect(pod).toEqual(expect.objectContaining(ACTIVATOR_BACKEND_POD_LABELS));
  });

  test('the responder: pinned nginx-unprivileged, restricted Pod Security, its config from the ConfigMap, off the GPU nodes', () => {
    const d = byKind(objects, 'Deployment', `${app}-cold-start`).spec as Json;
    const pod = d.template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe(RESPONDER_IMAGE);
    expect(c.image).toMatch(/:\d+\.\d+\.\d+-alpine@sha256:[0-9a-f]{64}$/);
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.tolerations).toBeUndefined();
    expect(pod.automountServiceAccountToken).toBe(false);
    const cm = byKind(objects, 'ConfigMap', `${app}-cold-start`);
    expect((cm as Json).data['nginx.conf']).toBe(responderConfig(b.endpoint.activator!.retryAfterSeconds, `${ns}/${app}`));
    expect(c.command).toEqual(['nginx', '-c', '/etc/aiinfra/nginx.conf', '-g', 'daemon off;']);
  });

  test('the add-on is installed once per cluster after KEDA; its proxy\'s gateway policies probe the admin port, in keda', () => {
    const json = synthJson(b.stack);
    const releases = resources(json, 'helm_release');
    const addon = releases.filter((r) => r.chart === KEDA_HTTP_ADDON_CHART.chart);
    expect(addon).toHaveLength(1);
    expect(addon[0]).toMatchObject({ repository: 'https://kedacore.github.io/charts', version: '0.15.0', namespace: 'keda' });
    expect(JSON.stringify(addon[0].depends_on)).toMatch(/helm_release\.[^"]*Keda_/);
    const mine = releases.find((r) => r.name === app) as Json;
    expect(JSON.stringify(mine.depends_on)).toMatch(/KedaHttpAddon/);
    expect(JSON.stringify(mine.depends_on)).toMatch(/Activator/);
    const policies = manifestsOf(b.stack.node.findAll().find((c) => c.node.id === 'Activator') as never);
    expect(policies.length).toBeGreaterThan(0);
    for (const p of policies) expect(p.metadata.namespace).toBe('keda');
    const text = JSON.stringify(policies);
    expect(text).toContain(INTERCEPTOR_PROXY_SERVICE);
    expect(text).toContain(String(INTERCEPTOR_ADMIN_PORT));
    expect(() => validateAll(policies)).not.toThrow();
  });
});

/** The NetworkPolicies of KEDA's namespace (release aiinfra-netpol-keda). */
function kedaPolicies(stack: TerraformStack): Json[] {
  return manifestsOf(stack.node.findAll().find((c) => c.node.id === 'KedaNetworkPolicies') as never).filter((o) => o.kind === 'NetworkPolicy');
}
/** The ipBlocks the interceptor's policy admits. */
function interceptorSources(policies: Json[]): string[] {
  const p = policies.find((x) => x.metadata.name === 'allow-keda-http-interceptor');
  return ((p?.spec.ingress ?? []) as Json[]).flatMap((rule) => (rule.from as Json[]).filter((f) => f.ipBlock).map((f) => f.ipBlock.cidr));
}

test('two scale-to-zero endpoints in a cluster: the interceptor admits the union of their gateway sources (an endpoint\'s allowedCidrs included)', () => {
  const b = scaledToZero('aws');
  new InferenceEndpoint(b.stack, 'second', {
    cluster: b.cluster, model: b.models.model('research/gpt-1b', { parameterCount: 1_210_000_000 }), runtime: 'builtin', image: SERVER_IMAGE,
    autoscaling: { scaleToZero: true }, exposure: { allowedCidrs: ['100.64.0.0/10'] },
  } as InferenceEndpointProps);
  expect(interceptorSources(kedaPolicies(b.stack))).toEqual(['10.0.0.0/8', '100.64.0.0/10', '172.16.0.0/12', '192.168.0.0/16']);
  // the policies of the namespace are set once each (replaced, not duplicated, as endpoints add sources)
  const names = kedaPolicies(b.stack).map((p) => p.metadata.name);
  expect(new Set(names).size).toBe(names.length);
});

test('with a self-managed Prometheus: a PodMonitor of the interceptors\' metrics port in keda, with the monitoring labels', () => {
  const b = scaledToZero('gcp', { props: { monitoring: { prometheusQueryUrl: 'http://prometheus-operated.monitoring.svc:9090', serviceMonitorLabels: { release: 'kps' } } } });
  const shared = manifestsOf(b.stack.node.findAll().find((c) => c.node.id === 'Activator') as never);
  const pm = byKind(shared, 'PodMonitor') as Json;
  expect(pm.metadata).toMatchObject({ namespace: 'keda', labels: { release: 'kps' } });
  expect(pm.spec).toEqual({
    selector: { matchLabels: { 'app.kubernetes.io/component': 'interceptor', 'app.kubernetes.io/name': 'http-add-on' } },
    namespaceSelector: { matchNames: ['keda'] },
    podMetricsEndpoints: [{ portNumber: 2223, path: '/metrics', interval: '30s', scrapeTimeout: '10s' }],
  });
  // Managed backends (no operator CRD): none.
  const managed = scaledToZero('gcp', { props: { monitoring: { backend: 'managed' } } });
  expect(manifestsOf(managed.stack.node.findAll().find((c) => c.node.id === 'Activator') as never).map((o) => o.kind)).not.toContain('PodMonitor');
});

describe('the cold-start wait', () => {
  test('the estimate is node scale-up + image pull + weights load + engine start, per cloud', () => {
    // 1.21B parameters in bf16 = 2.25 GiB: 3 s streamed on AWS/GCP, 5 s copied on Azure; the builtin server starts in 30 s.
    expect(scaledToZero('aws').endpoint.activator!.estimate).toEqual({ nodeScaleUpSeconds: 360, imagePullSeconds: 180, loadSeconds: 33, totalSeconds: 573 });
    expect(scaledToZero('azure').endpoint.activator!.estimate).toEqual({ nodeScaleUpSeconds: 480, imagePullSeconds: 180, loadSeconds: 35, totalSeconds: 695 });
    expect(coldStartEstimate('gcp', 'vllm', 15).loadSeconds).toBe(15 + COLD_START.engineStartSeconds.vllm);
  });

  test('a user wait at or above the node scale-up is taken; the responder\'s Retry-After is what is left of the estimate, at least a minute', () => {
    const b = scaledToZero('gcp', { autoscaling: { coldStartTimeoutSeconds: 400 } });
    expect(b.endpoint.activator).toMatchObject({ waitSeconds: 400, retryAfterSeconds: 573 - 400 });
    expect((byKind(endpointObjects(b), 'InterceptorRoute').spec as Json).timeouts.readiness).toBe('400s');
    expect(scaledToZero('gcp', { autoscaling: { coldStartTimeoutSeconds: 1200 } }).endpoint.activator!.retryAfterSeconds).toBe(60);
  });

  test.each([['aws', 360], ['gcp', 360], ['azure', 480]] as const)('%s: a wait shorter than the pool\'s node scale-up (%i s) is a synth error', (cloud, node) => {
    let err: unknown;
    try {
      scaledToZero(cloud, { autoscaling: { coldStartTimeoutSeconds: node - 1 } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidPropError);
    const e = err as InvalidPropError;
    expect(e.constructPath).toBe('platform/chat');
    expect(e.prop).toBe('autoscaling.coldStartTimeoutSeconds');
    expect(e.message).toMatch(new RegExp(`at least ${node} \\(the documented GPU node scale-up of pool .* on ${cloud}`));
    expect(() => scaledToZero(cloud, { autoscaling: { coldStartTimeoutSeconds: node } })).not.toThrow();
  });

  test('bad activator values', () => {
    expect(() => scaledToZero('aws', { autoscaling: { coldStartTimeoutSeconds: 7201 } })).toThrow(/coldStartTimeoutSeconds = 7201.*1 to 7200/);
    expect(() => scaledToZero('aws', { autoscaling: { targetConcurrency: 0 } })).toThrow(/targetConcurrency = 0.*1 to 10000/);
  });

  test('the gateway\'s own timeouts cover the hold: the ALB idle timeout on AWS exceeds wait + request', () => {
    const b = scaledToZero('aws');
    const lb = byKind(endpointObjects(b), 'LoadBalancerConfiguration').spec as Json;
    const idle = lb.loadBalancerAttributes.find((a: Json) => a.key === 'idle_timeout.timeout_seconds').value;
    expect(Number(idle)).toBeGreaterThan(b.endpoint.activator!.waitSeconds + 120);
  });
});

describe('failing fixtures', () => {
  test('Azure internal scale-to-zero without a private gateway class names the fix', () => {
    expect(() => build('azure', () => ({ autoscaling: { scaleToZero: true } }))).toThrow(/exposure.gatewayClassName.*scale-to-zero's request-holding activator/);
  });

  test('a public endpoint on Azure needs no extra class: the public gateway routes to the activator', () => {
    const b = build('azure', () => ({
      autoscaling: { scaleToZero: true },
      exposure: { type: 'public', domainName: 'llm.example.com', certificate: { certManagerClusterIssuer: 'letsencrypt' } },
      auth: { keyVaultNetwork: { allowedSubnetIds: [AKS_SUBNET] } },
    }));
    expect(byKind(endpointObjects(b), 'HTTPRoute').spec).toMatchObject({ hostnames: ['llm.example.com'] });
  });

  test('a canary with scale-to-zero is refused (at zero there is no traffic to analyse; the activator routes to one Service)', () => {
    expect(() => build('aws', () => ({
      autoscaling: { scaleToZero: true }, monitoring: { prometheusQueryUrl: 'http://prometheus-operated.monitoring.svc:9090' },
      canary: { steps: [10, 50], interval: '5m', slo: { errorRatio: 0.01 } },
    }))).toThrow(/invalid autoscaling.scaleToZero = true/);
  });

  test('min > 0 endpoints keep the plain KEDA path: no activator objects', () => {
    const b = build('aws', () => ({ monitoring: { prometheusQueryUrl: 'http://prometheus-operated.monitoring.svc:9090' } }));
    const kinds = endpointObjects(b).map((o) => o.kind);
    expect(kinds).toContain('ScaledObject');
    expect(kinds).not.toContain('InterceptorRoute');
    expect(b.endpoint.activator).toBeUndefined();
    expect(resources(synthJson(b.stack), 'helm_release').some((r) => r.chart === KEDA_HTTP_ADDON_CHART.chart)).toBe(false);
    // KEDA's namespace without the add-on admits none of its components; the pods carry no backend label
    expect(kedaPolicies(b.stack).map((p) => p.metadata.name).filter((n) => n.includes('http'))).toEqual([]);
    expect(JSON.stringify(kedaPolicies(b.stack))).not.toContain('http-add-on');
    expect((byKind(endpointObjects(b), 'Deployment', b.endpoint.name).spec as Json).template.metadata.labels).not.toHaveProperty('aiinfra.dev/activator');
  });
});

interface HttpResult { status: number; headers: Record<string, string | string[] | undefined>; body: string }

function request(port: number, method: string, urlPath: string, body?: string): Promise<HttpResult> {
  const http = require('http') as typeof import('http');
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let data = '';
      res.on('data', (c) => { data += String(c); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A port nothing listens on now (a random one may already serve something else on a busy machine: a 404 from it). */
function freePort(): Promise<number> {
  const net = require('net') as typeof import('net');
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as import('net').AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

describe('the responder\'s nginx.conf', () => {
  const conf = responderConfig(120, 'inference/chat');

  test('503 with Retry-After (always: add_header skips error statuses otherwise), a JSON error body, /healthz 200, temp paths under /tmp', () => {
    expect(conf).toContain('add_header Retry-After 120 always;');
    expect(conf).toMatch(/return 503 '\{"error":\{"message":"inference\/chat is starting from zero replicas; retry after 120 s","type":"service_unavailable","code":503\}\}\\n';/);
    expect(conf).toContain(`listen ${RESPONDER_PORT};`);
    expect(conf).toMatch(/location = \/healthz \{\s+default_type text\/plain;\s+return 200/);
    for (const line of conf.split('\n').filter((l) => /(_path|pid) /.test(l))) expect(line).toMatch(/ \/tmp\//);
  });

  // A real nginx (on PATH, or Debian's package unpacked once into .tools/ by scripts/tools/nginx.sh): the config
  // parses and answers as described. No nginx and no apt-get: the test fails saying so.
  test('real nginx: 503 + Retry-After on any path and method, 200 on /healthz', async () => {
    const found = spawnSync('bash', [path.join(__dirname, '..', '..', 'scripts', 'tools', 'nginx.sh')], { encoding: 'utf8' });
    if (found.status !== 0) throw new Error(`scripts/tools/nginx.sh could not provide nginx: ${found.stderr}`);
    const nginx = found.stdout.trim();
    const dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'aiinfra-responder-'));
    const port = await freePort();
    const text = conf.replace(`listen ${RESPONDER_PORT};`, `listen 127.0.0.1:${port};`).replace(/\/tmp\//g, `${dir}/`);
    fs.writeFileSync(path.join(dir, 'nginx.conf'), text);
    const check = spawnSync(nginx, ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], { encoding: 'utf8' });
    expect(check.stderr).toMatch(/syntax is ok/);
    const child = require('child_process').spawn(nginx, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log'), '-g', 'daemon off;']);
    try {
      let res: HttpResult | undefined;
      for (let i = 0; i < 50 && !res; i++) {
        res = await request(port, 'POST', '/v1/completions', JSON.stringify({ prompt: 'hi' })).catch(() => undefined);
        if (!res) await new Promise((r) => setTimeout(r, 100));
      }
      expect(res!.status).toBe(503);
      expect(res!.headers['retry-after']).toBe('120');
      expect(res!.headers['content-type']).toBe('application/json');
      expect(JSON.parse(res!.body).error.code).toBe(503);
      const get = await request(port, 'GET', '/anything');
      expect([get.status, get.headers['retry-after']]).toEqual([503, '120']);
      const health = await request(port, 'GET', '/healthz');
      expect([health.status, health.headers['retry-after']]).toEqual([200, undefined]);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

// The add-on's own CRD (Go module github.com/kedacore/http-add-on, the chart's appVersion), when the module cache or
// the Go proxy has it: our InterceptorRoute against its openAPIV3Schema (structure, types, enums, required fields;
// the CEL rules, "exactly one of port/portName", are checked by the hand-written check in crds.ts).
describe('the InterceptorRoute against the add-on\'s CRD', () => {
  const crdFile = (() => {
    const r = spawnSync('go', ['mod', 'download', '-json', 'github.com/kedacore/http-add-on@v0.15.0'], { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) return undefined;
    const dir = (JSON.parse(r.stdout) as { Dir?: string }).Dir;
    const file = dir && path.join(dir, 'config/crd/bases/http.keda.sh_interceptorroutes.yaml');
    return file && fs.existsSync(file) ? file : undefined;
  })();

  (crdFile ? test : test.skip)('validates on every cloud', () => {
    const crd = parse(fs.readFileSync(crdFile!, 'utf8')) as Json;
    expect(crd.spec.versions.map((v: Json) => v.name)).toContain('v1beta1');
    const schema = crd.spec.versions.find((v: Json) => v.name === 'v1beta1').schema.openAPIV3Schema;
    const strip = (s: unknown): unknown => Array.isArray(s) ? s.map(strip) : s && typeof s === 'object'
      ? Object.fromEntries(Object.entries(s as Json).filter(([k]) => !k.startsWith('x-kubernetes-')).map(([k, v]) => [k, strip(v)])) : s;
    const ajv = new Ajv({ strict: false, allErrors: true });
    const noExtra = (s: Json): Json => s.type === 'object' && s.properties && s.additionalProperties === undefined
      ? { ...s, additionalProperties: false, properties: Object.fromEntries(Object.entries(s.properties as Json).map(([k, v]) => [k, noExtra(v as Json)])) }
      : s.type === 'array' && s.items ? { ...s, items: noExtra(s.items) } : s;
    const specSchema = noExtra(strip(schema.properties.spec) as Json);
    const validate = ajv.compile(specSchema);
    for (const cloud of Object.keys(CLOUDS) as CloudName[]) {
      const ir = byKind(endpointObjects(scaledToZero(cloud)), 'InterceptorRoute');
      expect(ir.apiVersion).toBe(`${crd.spec.group}/v1beta1`);
      expect({ cloud, ok: validate(ir.spec), errors: validate.errors ?? null }).toEqual({ cloud, ok: true, errors: null });
    }
    // The check is live: a misspelt field fails it.
    expect(validate({ ...byKind(endpointObjects(scaledToZero('aws')), 'InterceptorRoute').spec as Json, coldstart: {} })).toBe(false);
  });
});
