/**
 * The Kueue controller of the twin, for real: its CRDs (with the conversion webhook the release configures),
 * its mutating and validating webhooks and the platform's own manager configuration (the `kueue` helm_release
 * values of the stack), served on loopback. In a cluster the API server reaches Kueue through the
 * `kueue-webhook-service` Service; here the webhook configurations name `https://127.0.0.1:<port>/<path>`. Kueue's
 * internal certificate management runs as the chart configures it (its rotator reads the CA and the serving
 * certificate from the `kueue-webhook-server-cert` Secret and injects the CA into the webhook configurations and
 * CRDs); the twin puts a certificate there that also names 127.0.0.1 (kueuePki), so nothing is written outside
 * the twin's scratch directory (with internal certificates off, Kueue 0.17 reads its metrics certificate from the
 * fixed path /etc/kueue/metrics/certs, which needs root). Only the webhooks of Kueue's own kinds and of batch Jobs are installed: the
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
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => path.join(dir, f));
  // The files as they are, read by kubectl's YAML parser: Flagger's crd.yaml has quoted descriptions continued at
  // the key's indentation, which Go's parser reads as one string and the JavaScript one does not.
  await cp.kubectl(['apply', '--server-side', '--force-conflicts', ...files.flatMap((f) => ['-f', f])]);
  await established(cp, files.flatMap(readYaml));
}

const KUEUE_NAMESPACE = 'kueue-system';
const WEBHOOK_SERVICE = 'kueue-webhook-service';
const WEBHOOK_SECRET = 'kueue-webhook-server-cert';

/**
 * The certificates Kueue's rotator (open-policy-agent/cert-controller) accepts and keeps, made by openssl: a CA
 * valid for the name `kueue-ca` with a PKCS#1 key, and a serving certificate for the webhook Service's DNS name and
 * for 127.0.0.1 (the API server calls the webhooks there), valid for ten years (the rotator replaces certificates
 * that expire within 90 days, and its own would not name 127.0.0.1).
 */
function kueuePki(dir: string): { caCrt: Buffer; caKey: Buffer; tlsCrt: Buffer; tlsKey: Buffer } {
  fs.mkdirSync(dir);
  const f = (name: string) => path.join(dir, name);
  const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  openssl(['genrsa', '-traditional', '-out', f('ca.key'), '2048']);
  openssl(['req', '-x509', '-new', '-key', f('ca.key'), '-days', '3650', '-subj', '/CN=kueue-ca', '-addext', 'subjectAltName=DNS:kueue-ca', '-out', f('ca.crt')]);
  openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('tls.key'), '-subj', `/CN=${WEBHOOK_SERVICE}.${KUEUE_NAMESPACE}.svc`, '-out', f('tls.csr')]);
  fs.writeFileSync(f('ext'), `subjectAltName=DNS:${WEBHOOK_SERVICE}.${KUEUE_NAMESPACE}.svc,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n`);
  openssl(['x509', '-req', '-in', f('tls.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-set_serial', '2', '-days', '3650', '-extfile', f('ext'), '-out', f('tls.crt')]);
  const read = (name: string) => fs.readFileSync(f(name));
  return { caCrt: read('ca.crt'), caKey: read('ca.key'), tlsCrt: read('tls.crt'), tlsKey: read('tls.key') };
}

/**
 * Starts Kueue with `managerConfig` (the platform's `controllerManagerConfigYaml`, parsed) and waits until its
 * webhooks answer. Resolves when a ClusterQueue can be created (the validating webhook and the conversion work).
 */
export async function startKueue(cp: ControlPlane, managerConfig: Json): Promise<void> {
  const kueueDir = path.join(cp.tools, 'crds', 'kueue');
  const [webhookPort, healthPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const certDir = path.join(cp.dir, 'kueue-certs');
  const pki = kueuePki(certDir);
  const caBundle = pki.caCrt.toString('base64');
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
    namespace: KUEUE_NAMESPACE,
    health: { ...managerConfig.health, healthProbeBindAddress: `127.0.0.1:${healthPort}` },
    metrics: { ...managerConfig.metrics, bindAddress: `127.0.0.1:${metricsPort}` },
    webhook: { ...managerConfig.webhook, host: '127.0.0.1', port: webhookPort, certDir },
    leaderElection: { ...managerConfig.leaderElection, leaderElect: false },
    // What the chart renders when the values set none (templates/manager/manager-config.yaml, release `kueue`).
    internalCertManagement: managerConfig.internalCertManagement ?? { enable: true, webhookServiceName: WEBHOOK_SERVICE, webhookSecretName: WEBHOOK_SECRET },
  };
  if (config.internalCertManagement.enable === false) {
    throw new Error('twin: the platform turns Kueue\'s internal certificate management off; the twin runs it as the chart does by default (kueue.ts)');
  }
  fs.writeFileSync(path.join(cp.dir, 'kueue-config.yaml'), stringify(config));
  await cp.api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: KUEUE_NAMESPACE } });
  // The chart's Secret (templates/internalcert/secret.yaml), already holding the CA and the serving certificate the
  // rotator keeps while they are valid; in a pod the kubelet mounts it at certDir, here the files are written there.
  await cp.api('POST', `/api/v1/namespaces/${KUEUE_NAMESPACE}/secrets`, {
    apiVersion: 'v1', kind: 'Secret', metadata: { name: config.internalCertManagement.webhookSecretName ?? WEBHOOK_SECRET },
    data: { 'ca.crt': pki.caCrt.toString('base64'), 'ca.key': pki.caKey.toString('base64'), 'tls.crt': pki.tlsCrt.toString('base64'), 'tls.key': pki.tlsKey.toString('base64') },
  });
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
