// Every default of an InferenceEndpoint, on each cloud: only cluster, model (and a prebuilt image) given.
import { restrictedPssProblems } from '../k8s/validate';
import { validateAll } from './crds';
import { build, byKind, CLOUDS, CloudName, endpointObjects, Json, resources, SERVER_IMAGE, synthJson } from './helpers';

const INTERNAL_LB: Record<CloudName, Record<string, string>> = {
  aws: {
    // The AWS Load Balancer Controller's NLB (loadBalancerClass service.k8s.aws/nlb): tracked, deleted with the Service.
    'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
    'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal',
    'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
  },
  gcp: { 'networking.gke.io/load-balancer-type': 'Internal' },
  azure: {
    'service.beta.kubernetes.io/azure-load-balancer-internal': 'true',
    'service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path': '/readyz',
  },
};

const POOL_GPU: Record<CloudName, string> = { aws: 'l4', gcp: 'l4', azure: 'a10g' };

describe.each(Object.keys(CLOUDS) as CloudName[])('InferenceEndpoint defaults on %s', (cloud) => {
  const b = build(cloud);
  const objects = endpointObjects(b);
  const app = b.endpoint.name;
  const deploy = byKind(objects, 'Deployment');
  const pod = deploy.spec.template.spec;
  const server = pod.containers[0];

  test('every object passes schema validation; the pods meet the restricted Pod Security Standard', () => {
    expect(() => validateAll(objects)).not.toThrow();
    expect(restrictedPssProblems(pod)).toEqual([]);
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  test('objects: one stable track, internal Service load balancer, HPA, PDB, PriorityClass, NetworkPolicy', () => {
    const kinds = objects.map((o) => o.kind).sort();
    expect(kinds).toEqual(expect.arrayContaining([
      'Deployment', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'PodDisruptionBudget', 'PriorityClass', 'Service', 'ServiceAccount',
    ]));
    // No monitoring stack given: no ServiceMonitor (its CRD may not exist in the cluster).
    expect(kinds).not.toContain('ServiceMonitor');
    expect(kinds).not.toContain('Gateway');
    expect(kinds).not.toContain('HTTPRoute');
    expect(kinds).not.toContain('SecretProviderClass');
    expect(kinds).not.toContain('ScaledObject');
    expect(objects.filter((o) => o.kind === 'Deployment')).toHaveLength(1);
    expect(app).toMatch(/^platform-chat-[0-9a-f]{8}$/);
    expect(b.endpoint.namespace).toBe('inference');
  });

  test('GPU: one GPU limit, the first pool\'s node selector, tolerations of its taints', () => {
    expect(server.resources.limits['nvidia.com/gpu']).toBe('1');
    expect(server.resources.requests['nvidia.com/gpu']).toBe('1');
    expect(server.resources.limits.memory).toBe(server.resources.requests.memory);
    expect(pod.nodeSelector).toEqual({ 'ai-infra/gpu': POOL_GPU[cloud], 'ai-infra/pool': POOL_GPU[cloud] });
    expect(pod.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Equal', value: 'present', effect: 'NoSchedule' }]);
    expect(b.endpoint.pool.gpu).toBe(POOL_GPU[cloud]);
  });

  test('probes differ: long startup budget on /readyz, quick readiness on /readyz, tolerant liveness on /healthz', () => {
    expect(server.startupProbe).toEqual({ httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 180 });
    expect(server.readinessProbe).toEqual({ httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2, successThreshold: 1 });
    expect(server.livenessProbe).toEqual({ httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 4 });
    expect(server.ports).toEqual([{ name: 'http', containerPort: 8000, protocol: 'TCP' }]);
  });

  test('graceful drain: preStop sleep 15 s, server drains 120 s, grace period covers both', () => {
    expect(server.lifecycle).toEqual({ preStop: { sleep: { seconds: 15 } } });
    const env = Object.fromEntries(server.env.map((e: Json) => [e.name, e.value]));
    expect(env.AIINFRA_DRAIN_TIMEOUT).toBe('120');
    expect(env.AIINFRA_REQUEST_TIMEOUT).toBe('120');
    expect(pod.terminationGracePeriodSeconds).toBe(150);
    expect(deploy.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
  });

  test('topology spread across zones (best effort) and nodes (hard)', () => {
    expect(pod.topologySpreadConstraints).toEqual([
      expect.objectContaining({ topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 1 }),
      expect.objectContaining({ topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', maxSkew: 1 }),
    ]);
    expect(pod.topologySpreadConstraints[0].labelSelector).toEqual({ matchLabels: deploy.spec.selector.matchLabels });
  });

  test('PriorityClass above training, used by the pods', () => {
    const pc = byKind(objects, 'PriorityClass');
    expect(pc.value).toBe(100000);
    expect(pc.globalDefault).toBe(false);
    expect(pc.metadata.namespace).toBeUndefined();
    expect(pod.priorityClassName).toBe(pc.metadata.name);
  });

  test('PDB: maxUnavailable 1, unhealthy pods always evictable', () => {
    const pdb = byKind(objects, 'PodDisruptionBudget');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow', selector: { matchLabels: deploy.spec.selector.matchLabels } });
  });

  test('autoscaling without a Prometheus: an HPA on CPU, min 2, max 4; the Deployment leaves replicas to it', () => {
    const hpa = byKind(objects, 'HorizontalPodAutoscaler');
    expect(hpa.spec.minReplicas).toBe(2);
    expect(hpa.spec.maxReplicas).toBe(4);
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: app });
    expect(hpa.spec.metrics[0].resource).toEqual({ name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } });
    expect(deploy.spec.replicas).toBeUndefined();
    expect(b.endpoint.scaling).toMatchObject({ kind: 'hpa', metric: 'cpu', min: 2, max: 4, scaleToZero: false });
  });

  test('internal load balancer by default, through the Service, with the cloud\'s annotations', () => {
    const svc = byKind(objects, 'Service');
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.metadata.annotations).toMatchObject(INTERNAL_LB[cloud]);
    expect(svc.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
    expect(svc.spec.selector).toEqual(deploy.spec.selector.matchLabels);
    expect(b.endpoint.usesGateway).toBe(false);
    expect(b.endpoint.url).toBe(`http://${app}.inference.svc.cluster.local`);
  });

  test('NetworkPolicy admits the private ranges (load balancer) and the monitoring namespace on 8000 only', () => {
    const np = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === app) as Json;
    expect(np.spec.policyTypes).toEqual(['Ingress']);
    expect(np.spec.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': app } });
    const cidrs = np.spec.ingress[0].from.map((f: Json) => f.ipBlock?.cidr).filter(Boolean);
    expect(cidrs).toEqual(expect.arrayContaining(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']));
    expect(np.spec.ingress[1].from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }]);
    for (const rule of np.spec.ingress) expect(rule.ports).toEqual([{ protocol: 'TCP', port: 8000 }]);
  });

  test('with a self-managed monitoring stack, a ServiceMonitor scrapes /metrics on the server port of the endpoint\'s Services', () => {
    const sm = byKind(endpointObjects(build(cloud, () => ({ monitoring: { serviceMonitorLabels: { release: 'kps' } } }))), 'ServiceMonitor');
    expect(sm.metadata.labels.release).toBe('kps');
    expect(sm.spec.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '15s', scrapeTimeout: '10s' }]);
    expect(sm.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': app, 'aiinfra.dev/metrics': 'true' });
    expect(byKind(objects, 'Service').metadata.labels['aiinfra.dev/metrics']).toBe('true');
  });

  test('builtin runtime: the server loads the model straight from the store, bf16, no auth', () => {
    expect(server.image).toBe(SERVER_IMAGE);
    const env = Object.fromEntries(server.env.map((e: Json) => [e.name, e.value]));
    expect(env.AIINFRA_MODEL_URI).toBe(`${b.models.uri}/research/gpt-1b`);
    // the server refuses a model outside its store (compute/tests/test_security.py)
    expect(env.AIINFRA_MODEL_ROOT).toBe(b.models.uri);
    expect(env.AIINFRA_MODEL_SELECT).toBe('newest');
    expect(env.AIINFRA_PRECISION).toBe('bf16');
    expect(env.AIINFRA_QUANTIZATION).toBe('none');
    expect(env.AIINFRA_PORT).toBe('8000');
    expect(env.AIINFRA_API_KEYS_FILE).toBeUndefined();
    for (const [k, v] of Object.entries(b.models.clientEnvironment)) expect(env[k]).toBe(v);
    expect(pod.initContainers).toBeUndefined();
    expect(pod.volumes.map((v: Json) => v.name)).toEqual(['tmp', 'shm']);
  });

  test('its own workload identity, bound to its ServiceAccount, reads only the model prefix', () => {
    expect(b.cluster.bindings).toEqual([{ identity: b.endpoint.identity, namespace: 'inference', serviceAccount: app }]);
    const sa = byKind(objects, 'ServiceAccount');
    expect(sa.metadata.annotations).toEqual({ 'fake.ai-infra/identity': expect.stringMatching(/__AIINFRA_TF_PLACEHOLDER_\d+__/) });
    expect(pod.serviceAccountName).toBe(app);
    const json = synthJson(b.stack);
    const grants = JSON.stringify({
      aws: resources(json, 'aws_iam_role_policy', 'ReadGrant'),
      gcp: resources(json, 'google_storage_bucket_iam_member', 'ReadGrant'),
      azure: resources(json, 'azurerm_role_assignment', 'ReadGrant'),
    }[cloud]);
    expect(grants).toContain('research/gpt-1b/');
    expect(grants).not.toMatch(/"(s3|storage|Microsoft\.Storage)[^"]*\*"/);
  });

  test('no API key, no certificate, no secret manager resources for an internal endpoint', () => {
    const json = synthJson(b.stack);
    const types = Object.keys(json.resource);
    for (const t of ['aws_secretsmanager_secret', 'aws_acm_certificate', 'google_secret_manager_secret', 'google_certificate_manager_certificate', 'azurerm_key_vault_secret']) {
      expect(types).not.toContain(t);
    }
    expect(b.endpoint.apiKeySecret).toBeUndefined();
  });

  test('one helm_release for the endpoint, after its namespace release; long timeout covers a model load', () => {
    const json = synthJson(b.stack);
    const releases = resources(json, 'helm_release');
    const mine = releases.filter((r) => r.name === app);
    expect(mine).toHaveLength(1);
    expect(mine[0].namespace).toBe('inference');
    expect(mine[0].atomic).toBe(true);
    expect(mine[0].timeout).toBe(2700);
    expect(mine[0].depends_on).toHaveLength(1);
    expect(mine[0].depends_on[0]).toMatch(/Namespace-inference/);
    expect(releases.some((r) => r.chart === 'keda')).toBe(false);
  });
});
