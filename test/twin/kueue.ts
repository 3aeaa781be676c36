/**
 * The Kueue controller of the twin, for real: its CRDs (with the conversion webhook the release configures),
 * its mutating and validating webhooks and the platform's own manager configuration (the `kueue` helm_release
 * values of the stack), served on loopback. In a cluster the API server reaches Kueue through the
 * `kueue-webhook-service` Service and Kueue makes its own certificate; here the webhook configurations name
 * `https://127.0.0.1:<port>/<path>` with a certificate for 127.0.0.1 made by openssl, and Kueue's internal
 * certificate management is off. Only the webhooks of Kueue's own kinds and of batch Jobs are installed: the
 * platform enables no other integration whose kinds exist in the twin (JobSet and PyTorchJob CRDs are not there).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments, stringify } from 'yaml';
import { ControlPlane, freePort } from './control-plane';
import { KubeObject } from './platform';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const readYaml = (file: string): KubeObject[] =>
  parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS() as KubeObject).filter(Boolean);

/** Applies objects with server-side apply (kubectl), failing with kubectl's message. */
export async function apply(cp: ControlPlane, objects: readonly KubeObject[]): Promise<void> {
  if (objects.length === 0) return;
  await cp.kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: objects.map((o) => stringify(o)).join('---\n') });
}

/** Waits until the API server serves the CRDs (Kueue sets up its indexes at start and exits if a kind is missing). */
async function established(cp: ControlPlane, crds: readonly KubeObject[]): Promise<void> {
  await cp.kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...crds.map((c) => `crd/${c.metadata.name}`)]);
}

/** Installs the CRDs of a directory under the twin's crds/ (e.g. `keda`, `prometheus-operator`). */
export async function installCrds(cp: ControlPlane, name: string): Promise<void> {
  const dir = path.join(cp.tools, 'crds', name);
  const crds = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().flatMap((f) => readYaml(path.join(dir, f)));
  await apply(cp, crds);
  await established(cp, crds);
}

/**
 * Starts Kueue with `managerConfig` (the platform's `controllerManagerConfigYaml`, parsed) and waits until its
 * webhooks answer. Resolves when a ClusterQueue can be created (the validating webhook and the conversion work).
 */
export async function startKueue(cp: ControlPlane, managerConfig: Json): Promise<void> {
  const kueueDir = path.join(cp.tools, 'crds', 'kueue');
  const [webhookPort, healthPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const certDir = path.join(cp.dir, 'kueue-certs');
  fs.mkdirSync(certDir);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=kueue-webhook',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(certDir, 'tls.key'), '-out', path.join(certDir, 'tls.crt'),
  ], { stdio: 'ignore' });
  // With its certificate management off, Kueue reads the metrics server's certificate from a fixed path (the chart
  // mounts a Secret there): give it the same loopback certificate. Needs write access to /etc (root, as here).
  const metricsCerts = '/etc/kueue/metrics/certs';
  try {
    fs.mkdirSync(metricsCerts, { recursive: true });
    for (const f of ['tls.crt', 'tls.key']) fs.copyFileSync(path.join(certDir, f), path.join(metricsCerts, f));
  } catch (e) {
    throw new Error(`twin: Kueue reads its metrics certificate from ${metricsCerts} only; it cannot be written here: ${(e as Error).message}`);
  }
  const caBundle = fs.readFileSync(path.join(certDir, 'tls.crt')).toString('base64');
  const url = (p: string) => `https://127.0.0.1:${webhookPort}${p}`;

  // CRDs, with the conversion webhook of the kinds Kueue converts (v1beta1 <-> v1beta2) pointed at loopback.
  const converted = new Set<string>();
  // The patches Kueue's kustomization enables (bases/../kustomization.yaml lists them; ResourceFlavor's is off).
  const enabled = [...fs.readFileSync(path.join(kueueDir, 'kustomization.yaml'), 'utf8').matchAll(/^- path: patches\/(webhook_in_\S+)$/gm)].map((m) => m[1]);
  for (const f of enabled) {
    for (const p of readYaml(path.join(kueueDir, 'patches', f))) converted.add(p.metadata.name);
  }
  const crds = fs.readdirSync(path.join(kueueDir, 'bases')).sort().flatMap((f) => readYaml(path.join(kueueDir, 'bases', f)));
  for (const crd of crds) {
    if (!converted.has(crd.metadata.name)) continue;
    crd.spec.conversion = { strategy: 'Webhook', webhook: { clientConfig: { url: url('/convert'), caBundle }, conversionReviewVersions: ['v1'] } };
  }
  await apply(cp, crds);
  await established(cp, crds);

  const webhooks = readYaml(path.join(kueueDir, 'webhook', 'manifests.yaml')).map((cfg) => ({
    ...cfg,
    metadata: { name: `kueue-${cfg.metadata.name}` },
    webhooks: (cfg.webhooks as Json[])
      .filter((w) => (w.rules as Json[]).every((r) => (r.apiGroups as string[]).every((g) => g === 'kueue.x-k8s.io' || g === 'batch')))
      .map((w) => ({ ...w, clientConfig: { url: url(w.clientConfig.service.path), caBundle } })),
  }));

  const config = {
    ...managerConfig,
    namespace: 'kueue-system',
    health: { ...managerConfig.health, healthProbeBindAddress: `127.0.0.1:${healthPort}` },
    metrics: { ...managerConfig.metrics, bindAddress: `127.0.0.1:${metricsPort}` },
    webhook: { ...managerConfig.webhook, host: '127.0.0.1', port: webhookPort, certDir },
    leaderElection: { ...managerConfig.leaderElection, leaderElect: false },
    internalCertManagement: { enable: false },
  };
  fs.writeFileSync(path.join(cp.dir, 'kueue-config.yaml'), stringify(config));
  await cp.api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kueue-system' } });
  const kueue = cp.spawn('kueue', path.join(cp.tools, 'bin', 'kueue'), [
    `--config=${path.join(cp.dir, 'kueue-config.yaml')}`, `--kubeconfig=${cp.kubeconfig}`,
    // The on-demand visibility API server reads its certificate from a fixed path the chart mounts; not used here.
    '--feature-gates=VisibilityOnDemand=false',
    '--zap-log-level=info',
  ]);
  // The webhook configurations once Kueue serves (failurePolicy Fail: before that every Job create would fail).
  await apply(cp, webhooks);

  // Ready when a dry-run ClusterQueue passes the webhooks and the v1beta1 -> v1beta2 conversion.
  const deadline = Date.now() + 120000;
  for (;;) {
    try {
      await cp.api('POST', '/apis/kueue.x-k8s.io/v1beta1/clusterqueues?dryRun=All', {
        apiVersion: 'kueue.x-k8s.io/v1beta1', kind: 'ClusterQueue', metadata: { name: 'twin-readiness' }, spec: {},
      });
      return;
    } catch (e) {
      if (kueue.exitCode !== null) throw new Error(`twin: Kueue exited with ${kueue.exitCode}:\n${cp.logTail('kueue')}`);
      if (Date.now() > deadline) throw new Error(`twin: Kueue's webhooks did not answer in 120 s (${(e as Error).message}):\n${cp.logTail('kueue')}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
