// Issue 22 item 3, real-tool check: a scale-to-zero endpoint's activator objects against a real kube-apiserver with the
// upstream CRDs (the KEDA HTTP add-on's at the pinned chart's appVersion, KEDA's at the pinned chart, Gateway API
// v1.3.0 standard, all from their Go modules): server-side dry-run applies them, with strict field validation and
// the CRDs' CEL rules; the responder's pod passes the restricted Pod Security admission. Fixtures make each check fail.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { KEDA_CHART, KEDA_HTTP_ADDON_CHART } from '../../src/inference/addons';
import { build, CLOUDS, CloudName, endpointObjects, Json } from '../inference/helpers';
import { ApiServer, startApiServer } from './kube-apiserver';

/** The directory of a Go module (downloaded into the module cache once). */
function goModule(mod: string): string {
  const r = spawnSync('go', ['mod', 'download', '-json', mod], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`go mod download ${mod} failed: ${r.stdout}${r.stderr}`);
  return (JSON.parse(r.stdout) as { Dir: string }).Dir;
}

function crdFiles(): string[] {
  const addon = goModule(`github.com/kedacore/http-add-on@v${KEDA_HTTP_ADDON_CHART.version}`);
  const keda = goModule(`github.com/kedacore/keda/v2@v${KEDA_CHART.version}`);
  const gateway = goModule('sigs.k8s.io/gateway-api@v1.3.0');
  return [
    ...fs.readdirSync(path.join(addon, 'config/crd/bases')).map((f) => path.join(addon, 'config/crd/bases', f)),
    path.join(keda, 'config/crd/bases/keda.sh_scaledobjects.yaml'),
    ...['gateways', 'gatewayclasses', 'httproutes', 'referencegrants'].map((k) => path.join(gateway, `config/crd/standard/gateway.networking.k8s.io_${k}.yaml`)),
  ];
}

/** Cloud gateway policies, monitoring and secret-store kinds: their CRDs are not in this API server. */
const NOT_INSTALLED = /^(gateway\.k8s\.aws|networking\.gke\.io|alb\.networking\.azure\.io|monitoring\.coreos\.com|secrets-store\.csi\.x-k8s\.io)\//;

function activatorObjects(cloud: CloudName): Json[] {
  const b = build(cloud, () => ({ autoscaling: { scaleToZero: true }, ...(cloud === 'azure' ? { exposure: { gatewayClassName: 'internal-gateway' } } : {}) }));
  // PriorityClass is cluster-scoped and the same on each cloud: dry-run it too (no conflict, nothing is stored).
  return endpointObjects(b).filter((o) => !NOT_INSTALLED.test(o.apiVersion)) as Json[];
}

const asList = (items: readonly unknown[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });

describe('the activator against a real kube-apiserver', () => {
  let server: ApiServer;

  beforeAll(async () => {
    server = await startApiServer();
    for (const f of crdFiles()) await server.kubectlOk(['apply', '--server-side', '-f', f]);
    await server.waitEstablished(['crd', '--all']);
    await server.kubectlOk(['apply', '-f', '-'], asList([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'keda' } },
      // The endpoints' namespace, as the library makes it: restricted Pod Security, enforced.
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'inference', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } },
    ]));
  }, 600_000);

  afterAll(async () => {
    await server?.stop();
  });

  test.each(Object.keys(CLOUDS) as CloudName[])('%s: every activator object is accepted by server-side dry-run (strict fields, CEL rules)', async (cloud) => {
    const objects = activatorObjects(cloud);
    expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining(['InterceptorRoute', 'ReferenceGrant', 'HTTPRoute', 'ScaledObject', 'Gateway']));
    const r = await server.kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], asList(objects));
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toMatch(/interceptorroute\.http\.keda\.sh\/\S+ created \(server dry run\)/);
    expect(r.stdout).toMatch(/referencegrant\.gateway\.networking\.k8s\.io\/\S+ created \(server dry run\)/);
  });

  test('the responder\'s pod passes restricted Pod Security admission in the endpoint namespace', async () => {
    const responder = activatorObjects('aws').find((o) => o.kind === 'Deployment' && o.metadata.name.endsWith('-cold-start'))!;
    // Its ServiceAccount, stored (the pod admission looks it up; a dry-run of it is not enough).
    await server.kubectlOk(['apply', '-f', '-'], JSON.stringify(activatorObjects('aws').find((o) => o.kind === 'ServiceAccount' && o.metadata.name === responder.metadata.name)));
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'responder-probe', namespace: 'inference' }, spec: responder.spec.template.spec };
    const r = await server.kubectl(['create', '--dry-run=server', '-f', '-'], JSON.stringify(pod));
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    // Fixture: the same pod with a writable root and privilege escalation is refused.
    const bad = JSON.parse(JSON.stringify(pod));
    bad.spec.containers[0].securityContext = { ...bad.spec.containers[0].securityContext, allowPrivilegeEscalation: true };
    const refused = await server.kubectl(['create', '--dry-run=server', '-f', '-'], JSON.stringify(bad));
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/violates PodSecurity "restricted:latest": allowPrivilegeEscalation/);
  });

  // The add-on's own routing code (Go, its pkg/routing at v0.15.0) with the routes of two endpoints of the same name in
  // two namespaces (plus a third on another cloud): each header reaches its own route on any host; none without it.
  test('the interceptor\'s routing table routes each endpoint by its header', () => {
    const dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'aiinfra-routes-'));
    const routes = ([['aws', 'inference'], ['aws', 'team-x'], ['gcp', 'inference-gcp']] as const).map(([cloud, namespace], i) => {
      const b = build(cloud, () => ({ autoscaling: { scaleToZero: true }, namespace }));
      const file = path.join(dir, `route-${i}.json`);
      fs.writeFileSync(file, JSON.stringify(endpointObjects(b).find((o) => o.kind === 'InterceptorRoute')));
      return file;
    });
    const r = spawnSync('go', ['test', '-count=1', '-run', 'TestRoutesByHeader', '.'], {
      cwd: path.join(__dirname, 'activator-routing'), encoding: 'utf8', timeout: 1_500_000,
      env: { ...process.env, ROUTES: routes.join(','), GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' },
    });
    expect({ status: r.status, out: r.status === 0 ? '' : `${r.stdout}${r.stderr}` }).toEqual({ status: 0, out: '' });
    // Fixture: two routes with the same header value (what a namespace-less header would give) cannot both be reached.
    const clash = JSON.parse(fs.readFileSync(routes[1], 'utf8'));
    clash.spec.rules[0].headers[0].value = JSON.parse(fs.readFileSync(routes[0], 'utf8')).spec.rules[0].headers[0].value;
    fs.writeFileSync(routes[1], JSON.stringify(clash));
    const bad = spawnSync('go', ['test', '-count=1', '-run', 'TestRoutesByHeader', '.'], {
      cwd: path.join(__dirname, 'activator-routing'), encoding: 'utf8', timeout: 1_500_000,
      env: { ...process.env, ROUTES: routes.join(','), GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' },
    });
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/was routed to/);
  }, 1_600_000);

  test('fixtures: the add-on\'s CEL rules and field validation are live', async () => {
    const ir = activatorObjects('gcp').find((o) => o.kind === 'InterceptorRoute')!;
    const bothPorts = JSON.parse(JSON.stringify(ir));
    bothPorts.spec.target.portName = 'http';
    const a = await server.kubectl(['apply', '--dry-run=server', '-f', '-'], JSON.stringify(bothPorts));
    expect(a.status).not.toBe(0);
    expect(a.stderr).toMatch(/exactly one of 'port' or 'portName' must be set/);
    const misspelt = JSON.parse(JSON.stringify(ir));
    misspelt.spec.coldstart = misspelt.spec.coldStart;
    const b = await server.kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], JSON.stringify(misspelt));
    expect(b.status).not.toBe(0);
    expect(b.stderr).toMatch(/unknown field "spec.coldstart"/);
    const badTrigger = JSON.parse(JSON.stringify(activatorObjects('gcp').find((o) => o.kind === 'ScaledObject')!));
    badTrigger.spec.triggers[0].metadata = 'not-a-map';
    const c = await server.kubectl(['apply', '--dry-run=server', '-f', '-'], JSON.stringify(badTrigger));
    expect(c.status).not.toBe(0);
  });
});
