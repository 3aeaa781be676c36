// Test utilities for Kubernetes objects: schema validation (kubernetes-models), lookup, and collection of
// every object a stack delivers. Other constructs' tests import these.
import * as path from 'path';
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from 'worker_threads';
import { IConstruct } from 'constructs';
import { KubernetesWorkload } from '../../src/k8s/delivery';

export type K8sObject = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const WORKER = path.join(__dirname, 'validate-worker.mjs');
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PLACEHOLDER = /__AIINFRA_TF_PLACEHOLDER_\d+__/;

/** Checks the schema validators do not: object names and label syntax. */
function metadataErrors(obj: K8sObject): string[] {
  const errors: string[] = [];
  const meta = obj.metadata ?? {};
  const name = meta.name;
  if (typeof name !== 'string' || (!PLACEHOLDER.test(name) && (!NAME.test(name) || name.length > 253))) {
    errors.push(`/metadata/name ${JSON.stringify(name)} is not a DNS subdomain`);
  }
  for (const field of ['labels', 'annotations'] as const) {
    for (const [key, value] of Object.entries((meta[field] ?? {}) as Record<string, unknown>)) {
      if (!LABEL_KEY.test(key.split('/').pop() ?? '') || key.length > 316) errors.push(`/metadata/${field} key ${JSON.stringify(key)} is invalid`);
      if (typeof value !== 'string') errors.push(`/metadata/${field}/${key} must be a string`);
      else if (field === 'labels' && !PLACEHOLDER.test(value) && !LABEL_VALUE.test(value)) errors.push(`/metadata/labels/${key} value ${JSON.stringify(value)} is invalid`);
    }
  }
  return errors;
}

export interface ValidateOptions {
  /**
   * Also report fields the Kubernetes types do not have (a typo such as `securityContex`), which the
   * kubernetes-models validators accept. Costs about a second (a TypeScript program over the model types).
   * @default false
   */
  readonly strict?: boolean;
}

/**
 * Validates every object against the Kubernetes OpenAPI schema (kubernetes-models; prometheus-operator
 * models for ServiceMonitor/PodMonitor/PrometheusRule; built-in checks for Kueue v1beta1 CRDs and GKE
 * ComputeClass) plus name and label syntax; `strict` also rejects unknown fields. Throws one error listing
 * every problem; an object of an unknown kind is a problem too.
 */
export function validateManifests(objects: readonly K8sObject[], options: ValidateOptions = {}): void {
  if (objects.length === 0) return;
  const input = options.strict ? { objects, strict: true } : objects;
  const problems = JSON.parse(callValidator(JSON.stringify(input))) as { index: number; kind: string; name: string; errors: string[] }[];
  objects.forEach((obj, index) => {
    const errors = metadataErrors(obj);
    if (errors.length) problems.push({ index, kind: obj.kind, name: obj.metadata?.name, errors });
  });
  if (problems.length) {
    const lines = problems.map((p) => `${p.kind} ${p.name} (#${p.index}):\n    ${p.errors.join('\n    ')}`);
    throw new Error(`Kubernetes objects failed validation:\n  ${lines.join('\n  ')}`);
  }
}

interface Validator {
  readonly worker: Worker;
  readonly replies: MessagePort;
  readonly flag: Int32Array;
  next: number;
}

// The validator runs in one worker thread per jest process, shared by every test file: their module registries
// are separate, but the worker_threads module is Node's own, so a symbol on it outlives one file. The models and
// TypeScript (strict) load once instead of in a new Node process per call. The thread is unref'd: it never keeps
// jest alive.
const VALIDATOR = Symbol.for('cdktf-ai-infra.test.k8s-validator');
const VALIDATOR_TIMEOUT_MS = 300_000;

function validator(): Validator {
  const home = require('worker_threads') as { [VALIDATOR]?: Validator };
  let v = home[VALIDATOR];
  if (!v) {
    const { port1, port2 } = new MessageChannel();
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(WORKER, { workerData: { kind: 'k8s-validate', replies: port2, flag }, transferList: [port2] });
    worker.unref();
    port1.unref();
    v = home[VALIDATOR] = { worker, replies: port1, flag, next: 0 };
  }
  return v;
}

/** Sends one request to the validator thread and blocks until it answers (validateManifests is synchronous). */
function callValidator(json: string): string {
  const v = validator();
  const id = ++v.next;
  Atomics.store(v.flag, 0, 0);
  v.worker.postMessage({ id, json });
  if (Atomics.wait(v.flag, 0, 0, VALIDATOR_TIMEOUT_MS) === 'timed-out') {
    delete (require('worker_threads') as { [VALIDATOR]?: Validator })[VALIDATOR];
    void v.worker.terminate();
    throw new Error(`the Kubernetes validator thread (${WORKER}) gave no answer in ${VALIDATOR_TIMEOUT_MS / 1000} s`);
  }
  const reply = receiveMessageOnPort(v.replies)?.message as { id: number; result?: string; error?: string } | undefined;
  if (!reply || reply.id !== id) throw new Error(`the Kubernetes validator thread answered out of turn: ${JSON.stringify(reply)}`);
  if (reply.error !== undefined) throw new Error(`the Kubernetes validator failed: ${reply.error}`);
  return reply.result!;
}

/** Every object delivered by the KubernetesWorkloads under `scope` (a stack), in chart order. */
export function manifestsOf(scope: IConstruct): K8sObject[] {
  const workloads = KubernetesWorkload.isKubernetesWorkload(scope) ? [scope] : KubernetesWorkload.allIn(scope);
  return workloads.flatMap((w) => w.render().objects as K8sObject[]);
}

/** The one object of `kind` (and `name` when given); throws when there is not exactly one. */
export function findObject(objects: readonly K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}: ${objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ')}`);
  }
  return found[0];
}

/** All objects of `kind`. */
export function findObjects(objects: readonly K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

/** The pod spec of a Job, CronJob, Deployment, StatefulSet or DaemonSet. */
export function podSpecOf(obj: K8sObject): K8sObject {
  if (obj.kind === 'CronJob') return obj.spec.jobTemplate.spec.template.spec;
  return obj.spec.template.spec;
}

/** Asserts the restricted Pod Security Standard on one pod spec; returns the problems (empty when fine). */
export function restrictedPssProblems(pod: K8sObject): string[] {
  const problems: string[] = [];
  const psc = pod.securityContext ?? {};
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problems.push('host namespaces');
  for (const v of pod.volumes ?? []) if (v.hostPath) problems.push(`hostPath volume ${v.name}`);
  for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
    const sc = c.securityContext ?? {};
    const nonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
    const uid = sc.runAsUser ?? psc.runAsUser;
    if (nonRoot !== true) problems.push(`${c.name}: runAsNonRoot`);
    if (uid === 0) problems.push(`${c.name}: runAsUser 0`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${c.name}: allowPrivilegeEscalation`);
    if (sc.privileged) problems.push(`${c.name}: privileged`);
    if (JSON.stringify(sc.capabilities?.drop) !== JSON.stringify(['ALL'])) problems.push(`${c.name}: capabilities.drop ALL`);
    if ((sc.capabilities?.add ?? []).some((a: string) => a !== 'NET_BIND_SERVICE')) problems.push(`${c.name}: capabilities.add`);
    const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') problems.push(`${c.name}: seccompProfile`);
    if (sc.readOnlyRootFilesystem !== true) problems.push(`${c.name}: readOnlyRootFilesystem`);
    for (const p of c.ports ?? []) if (p.hostPort) problems.push(`${c.name}: hostPort`);
  }
  return problems;
}
