// A real kube-apiserver (with etcd) for the real-tool tier: RBAC authorizer, admission (Pod Security,
// ValidatingAdmissionPolicy, ServiceAccount), nothing else (no controller-manager, no nodes). The binaries are the
// digital twin's (scripts/tools/kube-twin.sh builds k8s.io/kubernetes and unpacks Debian's etcd once, cached in
// .tools/; AIINFRA_TWIN_DIR=<the directory it prints> uses another build, as scripts/test-twin.sh does).
// The twin's own harness (test/twin/control-plane.ts, startControlPlane({ controllers: false })) does the same
// with more; this one stays small so that the real-tool tier does not depend on the twin's test code.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { generateKeyPairSync } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../..');
const ADMIN_TOKEN = 'aiinfra-test-admin-token';

/** The directory holding `kube-apiserver` and `etcd`: `$AIINFRA_TWIN_DIR/bin`, else the twin's build (made on first use). */
export function kubeBinDir(): string {
  const fromEnv = process.env.AIINFRA_TWIN_DIR;
  if (fromEnv) return path.join(fromEnv, 'bin');
  const script = path.join(ROOT, 'scripts/tools/kube-twin.sh');
  if (!fs.existsSync(script)) {
    throw new Error(`no kube-apiserver: ${script} (the digital twin's build of k8s.io/kubernetes and etcd) is missing; set AIINFRA_TWIN_DIR to a directory with bin/kube-apiserver and bin/etcd`);
  }
  const r = spawnSync('bash', [script, 'apiserver'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`scripts/tools/kube-twin.sh failed (exit ${r.status}):\n${r.stderr.slice(-4000)}`);
  return path.join(r.stdout.trim().split('\n').pop()!, 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface KubectlResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ApiServer {
  /** A kubeconfig of a cluster admin (`system:masters`), who may impersonate (`--as`, `--as-group`). */
  readonly kubeconfig: string;
  /** Runs kubectl against the server (async, so several run side by side); never throws on a non-zero exit. */
  kubectl(args: readonly string[], input?: string): Promise<KubectlResult>;
  /** Same, throwing with kubectl's output unless it exits 0. */
  kubectlOk(args: readonly string[], input?: string): Promise<string>;
  /** Waits until each CRD (`crd/<name>`) is Established (up to 60 s); a CRD the server has not given a status yet is waited for too. */
  waitEstablished(crds: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}

function run(cmd: string, args: readonly string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('error', reject);
    child.once('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) { resolve(); return; }
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

/** Starts etcd and kube-apiserver (RBAC, static admin token) on free local ports; resolves once /readyz is ok. */
export async function startApiServer(): Promise<ApiServer> {
  const bin = kubeBinDir();
  for (const b of ['kube-apiserver', 'etcd']) {
    if (!fs.existsSync(path.join(bin, b))) throw new Error(`${path.join(bin, b)} is missing`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiinfra-apiserver-'));
  const [etcdClient, etcdPeer, securePort] = [await freePort(), await freePort(), await freePort()];
  const logs: string[] = [];
  const children: ChildProcess[] = [];
  const launch = (name: string, args: string[]) => {
    const child = spawn(path.join(bin, name), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer) => { logs.push(`${name}: ${d.toString()}`); if (logs.length > 400) logs.shift(); };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    children.push(child);
    return child;
  };
  const stop = async () => {
    for (const c of [...children].reverse()) await stopProcess(c);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    launch('etcd', [
      `--data-dir=${dir}/etcd`, `--listen-client-urls=http://127.0.0.1:${etcdClient}`, `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`, '--log-level=error',
    ]);
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    fs.writeFileSync(`${dir}/sa.key`, privateKey.export({ type: 'pkcs1', format: 'pem' }));
    fs.writeFileSync(`${dir}/sa.pub`, publicKey.export({ type: 'spki', format: 'pem' }));
    fs.writeFileSync(`${dir}/tokens.csv`, `${ADMIN_TOKEN},aiinfra-admin,aiinfra-admin,system:masters\n`);
    const apiserver = launch('kube-apiserver', [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`, `--secure-port=${securePort}`, '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1', `--cert-dir=${dir}/certs`, `--token-auth-file=${dir}/tokens.csv`,
      '--authorization-mode=RBAC', '--service-cluster-ip-range=10.96.0.0/16',
      `--service-account-issuer=https://kubernetes.default.svc`, `--service-account-key-file=${dir}/sa.pub`,
      `--service-account-signing-key-file=${dir}/sa.key`, '--enable-priority-and-fairness=false', '--v=0',
    ]);
    const kubeconfig = `${dir}/kubeconfig`;
    fs.writeFileSync(kubeconfig, JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'test',
      clusters: [{ name: 'test', cluster: { server: `https://127.0.0.1:${securePort}`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'admin', user: { token: ADMIN_TOKEN } }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: 'admin' } }],
    }));
    const kubectl = (args: readonly string[], input?: string) => run('kubectl', ['--kubeconfig', kubeconfig, ...args], input);
    const kubectlOk = async (args: readonly string[], input?: string) => {
      const r = await kubectl(args, input);
      if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.status}:\n${r.stderr}${r.stdout}`);
      return r.stdout;
    };
    // /readyz includes the RBAC bootstrap roles (the built-in `admin` ClusterRole the fixtures bind).
    const deadline = Date.now() + 180_000;
    for (;;) {
      if (apiserver.exitCode !== null) throw new Error('kube-apiserver exited');
      const r = await kubectl(['get', '--raw', '/readyz']);
      if (r.status === 0 && r.stdout.trim() === 'ok') break;
      if (Date.now() > deadline) throw new Error(`kube-apiserver not ready after 180 s: ${r.stderr}${r.stdout}`);
      await new Promise((res) => setTimeout(res, 500));
    }
    // `kubectl wait` fails at once ("status.conditions accessor error") on a CRD whose status is not written yet.
    const waitEstablished = async (crds: readonly string[]) => {
      const until = Date.now() + 60_000;
      for (;;) {
        const r = await kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...crds]);
        if (r.status === 0) return;
        if (Date.now() > until || !/accessor error/.test(r.stderr)) throw new Error(`kubectl wait ${crds.join(' ')} exited ${r.status}:\n${r.stderr}${r.stdout}`);
        await new Promise((res) => setTimeout(res, 500));
      }
    };
    return { kubeconfig, kubectl, kubectlOk, waitEstablished, stop };
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n--- last output ---\n${logs.slice(-40).join('')}`);
  }
}
