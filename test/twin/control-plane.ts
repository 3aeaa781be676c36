/**
 * A real Kubernetes control plane on loopback for tests (the twin, issue 18; the RBAC checks of issue 21):
 * etcd, kube-apiserver, kube-controller-manager and kube-scheduler, built by scripts/tools/kube-twin.sh (cached
 * under .tools/), started on free ports in a temporary directory. No Docker, no root, no network.
 *
 *   const cp = await startControlPlane();
 *   try {
 *     await cp.kubectl(['apply', '--server-side', '-f', '-'], { input: yaml });
 *     const r = await cp.kubectl(['auth', 'can-i', 'create', 'pods', '-n', 'b', '--as', 'system:serviceaccount:a:tenant']);
 *   } finally {
 *     await cp.stop();   // always: kills every process and removes the directory, also after a failure
 *   }
 *
 * - `cp.kubeconfig`: a kubeconfig file for the cluster admin (user `admin`, group `system:masters`), so
 *   `kubectl --as <user> --as-group <group>` impersonates anyone; RBAC is the real authorizer (`Node,RBAC`).
 * - `cp.api(method, path, body?)`: the REST API as that admin (JSON in, JSON out; non-2xx throws).
 * - `cp.kubectl(args, { input?, check? })`: the machine's kubectl (`AIINFRA_KUBECTL`, default `kubectl` on PATH)
 *   with that kubeconfig; resolves `{ code, stdout, stderr }`, rejects on a non-zero exit unless `check: false`.
 * - Options: `controllers: false` starts only etcd and the API server (enough for admission and authorization
 *   checks, and faster); `apiServerArgs` adds flags.
 *
 * The binaries: `AIINFRA_TWIN_DIR` (what scripts/tools/kube-twin.sh prints; scripts/test-twin.sh sets it), else
 * the script is run here (instant when cached, a long build otherwise). A missing binary is an error, never a skip.
 */
import { ChildProcess, execFile, execFileSync, spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as https from 'https';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

const REPO = path.resolve(__dirname, '../..');

export interface ControlPlane {
  /** Path of a kubeconfig for the cluster admin. */
  readonly kubeconfig: string;
  /** `https://127.0.0.1:<port>` */
  readonly server: string;
  /** The scratch directory (logs in `<dir>/logs/`); removed by `stop()`. */
  readonly dir: string;
  /** The twin's binaries and CRDs (`bin/`, `crds/`). */
  readonly tools: string;
  api<T = unknown>(method: string, apiPath: string, body?: unknown, contentType?: string): Promise<T>;
  kubectl(args: readonly string[], options?: { input?: string; check?: boolean }): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Starts another process that belongs to this cluster (stopped by `stop()`); its output goes to `<dir>/logs/<name>.log`. */
  spawn(name: string, binary: string, args: readonly string[]): ChildProcess;
  /** The last lines of a component's log (for error messages). */
  logTail(name: string, lines?: number): string;
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  /** Start kube-controller-manager and kube-scheduler too. @default true */
  readonly controllers?: boolean;
  /** More kube-apiserver flags. */
  readonly apiServerArgs?: readonly string[];
}

/** The directory of the twin's binaries (bin/) and CRDs (crds/), building them once if needed. */
export function twinTools(): string {
  const given = process.env.AIINFRA_TWIN_DIR;
  if (given) {
    if (!fs.existsSync(path.join(given, 'bin', 'kube-apiserver'))) {
      throw new Error(`AIINFRA_TWIN_DIR=${given} has no bin/kube-apiserver: run scripts/tools/kube-twin.sh and pass the directory it prints`);
    }
    return given;
  }
  try {
    return execFileSync('bash', [path.join(REPO, 'scripts/tools/kube-twin.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch (e) {
    throw new Error(`the twin's binaries could not be built (scripts/tools/kube-twin.sh; needs Go and Debian's apt-get): ${(e as Error).message}`);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every child of every control plane, killed when the test process exits however it exits. */
const alive = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const tools = twinTools();
  const bin = (name: string) => path.join(tools, 'bin', name);
  // tmpfs when there is one: etcd fsyncs every write.
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const dir = fs.mkdtempSync(path.join(base, 'aiinfra-twin-'));
  fs.mkdirSync(path.join(dir, 'logs'));
  const children: { name: string; child: ChildProcess }[] = [];
  const token = crypto.randomBytes(24).toString('hex');
  let stopped = false;
  const agent = new https.Agent({ rejectUnauthorized: false, keepAlive: true });

  const logFile = (name: string) => path.join(dir, 'logs', `${name}.log`);
  const logTail = (name: string, lines = 30): string => {
    try {
      return fs.readFileSync(logFile(name), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  };
  const spawnChild = (name: string, binary: string, args: readonly string[]): ChildProcess => {
    if (!fs.existsSync(binary)) throw new Error(`twin: ${binary} is missing (scripts/tools/kube-twin.sh builds it)`);
    const out = fs.openSync(logFile(name), 'a');
    const child = spawn(binary, [...args], { stdio: ['ignore', out, out], cwd: dir });
    fs.closeSync(out);
    alive.add(child);
    child.on('exit', () => alive.delete(child));
    children.push({ name, child });
    return child;
  };
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    agent.destroy();
    for (const { child } of [...children].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      // A timer left running would keep the jest worker alive past the tests ("failed to exit gracefully").
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((r) => { timer = setTimeout(r, 5000); })]);
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    if (!process.env.AIINFRA_TWIN_KEEP) fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    // Service-account token signing key (the API server verifies, the token controller signs).
    const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    fs.writeFileSync(path.join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    fs.writeFileSync(path.join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    fs.writeFileSync(path.join(dir, 'tokens.csv'), `${token},admin,admin,"system:masters"\n`);

    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    spawnChild('etcd', bin('etcd'), [
      '--name', 'twin', '--data-dir', path.join(dir, 'etcd'),
      '--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl,
      '--listen-peer-urls', `http://127.0.0.1:${peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
      '--initial-cluster', `twin=http://127.0.0.1:${peerPort}`, '--log-level', 'warn',
    ]);

    const server = `https://127.0.0.1:${apiPort}`;
    spawnChild('kube-apiserver', bin('kube-apiserver'), [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1', `--secure-port=${apiPort}`, '--advertise-address=127.0.0.1',
      // A self-signed serving certificate, made by the API server itself.
      `--cert-dir=${path.join(dir, 'pki')}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      `--token-auth-file=${path.join(dir, 'tokens.csv')}`,
      '--authorization-mode=Node,RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${path.join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${path.join(dir, 'sa.key')}`,
      // The `kubernetes` Service's Endpoints would name 127.0.0.1, which Endpoints validation refuses.
      '--endpoint-reconciler-type=none',
      '--enable-priority-and-fairness=false', '--profiling=false', '--v=1',
      // With WatchList on (1.34's default) the API server turns a watch from resourceVersion 0 (kwok's informers)
      // into a watch-list stream, which needs etcd's progress notifications that Debian's etcd 3.4 lacks: every such
      // watch ended at once with an error and kwok relisted with backoff, seeing new and deleted pods 5-45 s late
      // (most of each rollout step). Off, it is the plain watch of etcd 3.4-era servers.
      '--feature-gates=WatchList=false',
      ...(options.apiServerArgs ?? []),
    ]);

    const kubeconfig = path.join(dir, 'kubeconfig');
    fs.writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: twin',
      `clusters: [{ name: twin, cluster: { server: "${server}", insecure-skip-tls-verify: true } }]`,
      `users: [{ name: admin, user: { token: "${token}" } }]`,
      'contexts: [{ name: twin, context: { cluster: twin, user: admin } }]', '',
    ].join('\n'), { mode: 0o600 });

    const request = (method: string, apiPath: string, body?: unknown, contentType = 'application/json') =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
        const req = https.request(`${server}${apiPath}`, {
          method, agent,
          headers: {
            'Authorization': `Bearer ${token}`, 'Accept': 'application/json',
            ...(data === undefined ? {} : { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(data) }),
          },
        }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        });
        req.on('error', reject);
        req.setTimeout(30000, () => req.destroy(new Error(`${method} ${apiPath}: no answer in 30 s`)));
        if (data !== undefined) req.write(data);
        req.end();
      });
    const api = async <T>(method: string, apiPath: string, body?: unknown, contentType?: string): Promise<T> => {
      const res = await request(method, apiPath, body, contentType);
      if (res.status < 200 || res.status >= 300) throw new Error(`${method} ${apiPath}: HTTP ${res.status}: ${res.text.slice(0, 2000)}`);
      return (res.text ? JSON.parse(res.text) : undefined) as T;
    };
    const kubectl = (args: readonly string[], opts: { input?: string; check?: boolean } = {}) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
        const child = execFile(process.env.AIINFRA_KUBECTL ?? 'kubectl', ['--kubeconfig', kubeconfig, ...args],
          { maxBuffer: 64 * 1024 * 1024, timeout: 120000 }, (err, stdout, stderr) => {
            const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
            if (code !== 0 && opts.check !== false) {
              reject(new Error(`kubectl ${args.join(' ')} exited ${code}: ${stderr || stdout}`));
            } else {
              resolve({ code, stdout, stderr });
            }
          });
        if (opts.input !== undefined) child.stdin?.end(opts.input);
        else child.stdin?.end();
      });

    // Ready when /readyz answers 200 (etcd reachable, bootstrap RBAC and priority classes in place).
    const deadline = Date.now() + 120000;
    for (;;) {
      const dead = children.find(({ child }) => child.exitCode !== null);
      if (dead) throw new Error(`twin: ${dead.name} exited with ${dead.child.exitCode}:\n${logTail(dead.name)}`);
      const ready = await request('GET', '/readyz').catch(() => undefined);
      if (ready?.status === 200) break;
      if (Date.now() > deadline) {
        throw new Error(`twin: kube-apiserver not ready in 120 s (last answer: ${ready ? `${ready.status} ${ready.text.slice(0, 500)}` : 'none'}):\n${logTail('kube-apiserver')}`);
      }
      await sleep(300);
    }

    if (options.controllers ?? true) {
      spawnChild('kube-controller-manager', bin('kube-controller-manager'), [
        `--kubeconfig=${kubeconfig}`, '--leader-elect=false', '--secure-port=0',
        `--service-account-private-key-file=${path.join(dir, 'sa.key')}`,
        '--use-service-account-credentials=false', '--v=1',
        // kwok's node heartbeats come every 20-45 s (no node leases in the twin): more than the default 50 s grace.
        '--node-monitor-grace-period=2m',
      ]);
      spawnChild('kube-scheduler', bin('kube-scheduler'), [
        `--kubeconfig=${kubeconfig}`, '--leader-elect=false', '--secure-port=0', '--v=1',
      ]);
      // The controller manager makes the default ServiceAccount of each namespace: wait for `default`'s.
      const saDeadline = Date.now() + 60000;
      while (!(await request('GET', '/api/v1/namespaces/default/serviceaccounts/default').catch(() => undefined))?.status.toString().startsWith('2')) {
        const dead = children.find(({ child }) => child.exitCode !== null);
        if (dead) throw new Error(`twin: ${dead.name} exited with ${dead.child.exitCode}:\n${logTail(dead.name)}`);
        if (Date.now() > saDeadline) throw new Error(`twin: kube-controller-manager made no default ServiceAccount in 60 s:\n${logTail('kube-controller-manager')}`);
        await sleep(300);
      }
    }

    return { kubeconfig, server, dir, tools, api, kubectl, spawn: spawnChild, logTail, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
