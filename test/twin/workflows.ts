/**
 * Argo Workflows in the twin (issue 25): the real workflow controller (v4.0.5, built from its Go module by
 * scripts/tools/argo.sh controller) with the configuration the platform's `argo-workflows` helm_release values give
 * it, and a stand-in for Argo's executor (argoexec), which cannot run because kwok runs no containers.
 *
 * What is real: the controller's own logic (steps order, `when` conditions, parameters and results passed between
 * steps, retries, the mutex, WorkflowTemplate references under `templateReferencing: Strict`, pod specs with the
 * executor's init/wait containers, pod GC, the workflow's phase), the API server's admission of every step pod
 * (Pod Security `restricted`, LimitRange, ResourceQuota, ServiceAccount), RBAC of the pipeline's ServiceAccount (the
 * stand-in acts as that ServiceAccount), Kueue's admission of the train Job, the scheduler and the node pools.
 *
 * `ExecutorStandIn` does, for each step pod kwok has made Running, what argoexec would do in it, as the pod's
 * ServiceAccount, and nothing else:
 *   - the placeholder WorkflowTaskResult (`report-outputs-completed: false`, owned by the Workflow), as the wait
 *     container (or, for a resource template, the main container) creates it when it starts;
 *   - a resource template: `kubectl <action>` of the manifest the controller put in the pod's ARGO_TEMPLATE, then
 *     polls the object until its successCondition holds or its failureCondition does (argoexec's label-selector
 *     syntax evaluated on the object's JSON), exit code 1 with argoexec's message on failure;
 *   - a script template: it runs nothing; the step's exit code and stdout result come from the test's fixture;
 *   - the outputs (the result) into the WorkflowTaskResult, then `report-outputs-completed: true`;
 *   - then it annotates the pod with the main container's exit code and message, and kwok's stages
 *     (kwok-argo-steps.yaml) end the pod Succeeded or Failed as the kubelet would.
 */
import { ChildProcess, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import * as path from 'path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { ARGO_WORKFLOWS } from '../../src/k8s/charts';
import { ControlPlane, freePort } from './control-plane';
import { addonValues, KubeObject } from './platform';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const REPO = path.resolve(__dirname, '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The kwok stages that end a step's pod with the exit code the stand-in sets. */
export const ARGO_KWOK_STAGES = path.join(__dirname, 'kwok-argo-steps.yaml');

/** Labels and annotations argoexec and the controller use (workflow/common/common.go, v4.0.5). */
export const LABEL_WORKFLOW = 'workflows.argoproj.io/workflow';
const LABEL_COMPLETED = 'workflows.argoproj.io/report-outputs-completed';
const ANNOTATION_NODE_ID = 'workflows.argoproj.io/node-id';
const ANNOTATION_NODE_NAME = 'workflows.argoproj.io/node-name';
const EXIT_CODE = 'aiinfra.test/exit-code';
const EXIT_MESSAGE = 'aiinfra.test/message';

/**
 * A request to the twin's API server as `user` (the admin's token from the kubeconfig, with impersonation headers, as
 * `kubectl --as` does): RBAC decides as for that user.
 */
export function requestAs(cp: ControlPlane, user: string, groups: readonly string[], method: string, apiPath: string, body: unknown,
  contentType = 'application/json'): Promise<{ status: number; text: string }> {
  const kubeconfig = parse(fs.readFileSync(cp.kubeconfig, 'utf8')) as Json;
  const token: string = kubeconfig.users[0].user.token;
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(`${cp.server}${apiPath}`, {
      method, rejectUnauthorized: false,
      headers: {
        'Authorization': `Bearer ${token}`, 'Accept': 'application/json', 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(data),
        'Impersonate-User': user, 'Impersonate-Group': [...groups],
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.setTimeout(30000, () => req.destroy(new Error(`${method} ${apiPath}: no answer in 30 s`)));
    req.end(data);
  });
}

/** The workflow controller binary, built once (scripts/tools/argo.sh controller); `AIINFRA_ARGO_CONTROLLER` names another. */
export function argoController(): string {
  const given = process.env.AIINFRA_ARGO_CONTROLLER;
  if (given) {
    if (!fs.existsSync(given)) throw new Error(`AIINFRA_ARGO_CONTROLLER=${given} does not exist: run scripts/tools/argo.sh controller and pass the path it prints`);
    return given;
  }
  try {
    return execFileSync('bash', [path.join(REPO, 'scripts/tools/argo.sh'), 'controller'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch (e) {
    throw new Error(`the Argo Workflows controller could not be built (scripts/tools/argo.sh controller; needs Go): ${(e as Error).message}`);
  }
}

/** The stack's `argo-workflows` helm_release: its release name, namespace and values. */
export interface ArgoRelease {
  readonly name: string;
  readonly namespace: string;
  readonly values: Json;
}

export function argoRelease(stack: Json): ArgoRelease {
  const rel = Object.values<Json>(stack.resource?.helm_release ?? {}).find((r) => r.chart === ARGO_WORKFLOWS.chart);
  if (!rel) throw new Error('twin: the stack installs no argo-workflows helm_release (a model pipeline makes one)');
  if (rel.version !== ARGO_WORKFLOWS.version) {
    throw new Error(`twin: the argo-workflows release pins chart ${rel.version}; workflows.ts maps the values of chart ${ARGO_WORKFLOWS.version}`);
  }
  return { name: rel.name, namespace: rel.namespace, values: addonValues(stack, ARGO_WORKFLOWS.chart) ?? {} };
}

/**
 * Controller values that only shape the controller's Deployment or RBAC in the chart, not its configuration: the
 * twin runs the binary as the cluster admin on loopback, so they have no counterpart here.
 */
const DEPLOYMENT_ONLY = new Set(['replicas', 'nodeSelector', 'priorityClassName', 'securityContext', 'podSecurityContext', 'resources',
  'clusterWorkflowTemplates', 'tolerations', 'affinity', 'podLabels', 'podAnnotations']);
/** Controller values the chart writes into the configuration (templates/controller/workflow-controller-config-map.yaml). */
const CONFIG_KEYS = new Set(['metricsConfig', 'workflowDefaults', 'workflowRestrictions', 'parallelism', 'namespaceParallelism', 'resourceRateLimit', 'podGCGracePeriodSeconds', 'podGCDeleteDelayDuration']);

/**
 * The controller's configuration as chart 1.0.18 renders it from `values` (its workflow-controller-config-map.yaml:
 * `executor`, `mainContainer`, `metricsConfig`, `workflowDefaults`, `workflowRestrictions`, ...; chart defaults where
 * the values set nothing: image pull policy Always, node events on, metrics path /metrics). The metrics port is the
 * twin's own free port (the chart's 9090 could be taken on the machine). A value the mapping does not know fails,
 * so a new setting in src/pipeline/engine.ts cannot silently go untested.
 */
export function controllerConfig(values: Json, metricsPort: number): Json {
  const c: Json = values.controller ?? {};
  for (const k of Object.keys(c)) {
    if (!DEPLOYMENT_ONLY.has(k) && !CONFIG_KEYS.has(k)) {
      throw new Error(`twin: the argo-workflows value controller.${k} is not mapped into the controller's configuration by test/twin/workflows.ts (controllerConfig)`);
    }
  }
  for (const k of Object.keys(values)) {
    if (!['crds', 'server', 'workflow', 'controller', 'executor', 'mainContainer', 'singleNamespace'].includes(k)) {
      throw new Error(`twin: the argo-workflows value ${k} is not mapped by test/twin/workflows.ts (controllerConfig)`);
    }
  }
  const pullPolicy = values.images?.pullPolicy ?? 'Always';
  const container = (v: Json | undefined, policy: string | undefined): Json | undefined => {
    if (!v || !(v.resources || v.env || v.envFrom || v.securityContext)) return undefined;
    return { imagePullPolicy: policy || pullPolicy, resources: v.resources, env: v.env, envFrom: v.envFrom, securityContext: v.securityContext };
  };
  const config: Json = {
    parallelism: c.parallelism,
    namespaceParallelism: c.namespaceParallelism,
    resourceRateLimit: c.resourceRateLimit,
    mainContainer: container(values.mainContainer, values.mainContainer?.imagePullPolicy),
    executor: container(values.executor, values.executor?.image?.pullPolicy),
    metricsConfig: c.metricsConfig?.enabled ? {
      enabled: true, path: c.metricsConfig.path ?? '/metrics', port: metricsPort, ignoreErrors: c.metricsConfig.ignoreErrors ?? false,
      secure: c.metricsConfig.secure ?? false,
    } : undefined,
    workflowDefaults: c.workflowDefaults,
    workflowRestrictions: c.workflowRestrictions,
    nodeEvents: { enabled: true },
    podGCGracePeriodSeconds: c.podGCGracePeriodSeconds,
    podGCDeleteDelayDuration: c.podGCDeleteDelayDuration,
  };
  return JSON.parse(JSON.stringify(config)) as Json;
}

/**
 * Starts the workflow controller as the chart's Deployment runs it (`--configmap <release>-workflow-controller-configmap`,
 * `--executor-image` of the chart's appVersion, leader election on, the release namespace), with the ConfigMap the
 * chart renders; resolves once it leads (its Lease) and watches.
 */
export async function startWorkflowController(cp: ControlPlane, release: ArgoRelease): Promise<ChildProcess> {
  const binary = argoController();
  const configMap = `${release.name}-workflow-controller-configmap`;
  const config = controllerConfig(release.values, await freePort());
  await cp.api('POST', `/api/v1/namespaces/${release.namespace}/configmaps`, {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: configMap, namespace: release.namespace }, data: { config: stringify(config) },
  });
  const logging = release.values.controller?.logging ?? {};
  // The chart passes LEADER_ELECTION_IDENTITY from the pod name (env); cp.spawn inherits the environment, so /usr/bin/env
  // sets it. DEFAULT_REQUEUE_TIME (how long the controller waits before it re-reads a workflow after an event; 10 s,
  // the chart sets none) is 2 s: timing only, it keeps the three runs within npm test's time.
  const controller = cp.spawn('workflow-controller', '/usr/bin/env', [
    'LEADER_ELECTION_IDENTITY=twin-workflow-controller', 'DEFAULT_REQUEUE_TIME=2s', binary,
    `--kubeconfig=${cp.kubeconfig}`, `--namespace=${release.namespace}`, '--configmap', configMap,
    '--executor-image', `quay.io/argoproj/argoexec:${ARGO_WORKFLOWS.appVersion}`,
    '--loglevel', logging.level ?? 'info', '--gloglevel', String(logging.globallevel ?? 0), '--log-format', logging.format ?? 'text',
    ...(release.values.singleNamespace ? ['--namespaced'] : []),
  ]);
  const deadline = Date.now() + 60000;
  for (;;) {
    if (controller.exitCode !== null) throw new Error(`twin: the workflow controller exited with ${controller.exitCode}:\n${cp.logTail('workflow-controller')}`);
    const lease = await cp.api<Json>('GET', `/apis/coordination.k8s.io/v1/namespaces/${release.namespace}/leases/workflow-controller`).catch(() => undefined);
    if (lease?.spec?.holderIdentity === 'twin-workflow-controller') return controller;
    if (Date.now() > deadline) throw new Error(`twin: the workflow controller did not take its Lease in 60 s:\n${cp.logTail('workflow-controller')}`);
    await sleep(500);
  }
}

/** The Workflow a CronWorkflow submits: its workflowMetadata and workflowSpec (here a `workflowTemplateRef`). */
export function workflowFromCron(cron: KubeObject, name: string): KubeObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow',
    metadata: { name, namespace: cron.metadata.namespace, labels: { ...cron.spec.workflowMetadata?.labels }, annotations: { ...cron.spec.workflowMetadata?.annotations } },
    spec: JSON.parse(JSON.stringify(cron.spec.workflowSpec)),
  };
}

/** How the stand-in ends a script step: the main container's exit code and its stdout (the step's `outputs.result`). */
export interface StepOutcome {
  readonly exitCode: number;
  readonly result?: string;
  readonly message?: string;
}

/** One step pod the stand-in handled. */
export interface StepPod {
  readonly workflow: string;
  /** The node's name in the workflow (`<workflow>[1].train`). */
  readonly node: string;
  readonly template: string;
  readonly pod: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** The Kubernetes node it ran on. */
  readonly nodeName: string;
  /** When the stand-in found it Running (ms since the epoch). */
  readonly runningAt: number;
  exitCode?: number;
  message?: string;
}

/**
 * argoexec's resource conditions: Kubernetes label-selector syntax (`status.succeeded > 0`, `status.phase in (A,B)`,
 * `status.phase == Succeeded`; requirements joined by commas) over the object's JSON, with the semantics of
 * k8s.io/apimachinery labels.Requirement.Matches on gjson paths (workflow/executor/resource.go).
 */
export function conditionMatches(condition: string, obj: Json): { matched: boolean } {
  const reqs: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of condition) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      reqs.push(cur.trim()); cur = '';
    } else {
      cur += ch;
    }
  }
  if (cur.trim()) reqs.push(cur.trim());
  const get = (key: string): string | undefined => {
    let v: unknown = obj;
    for (const part of key.split('.')) {
      if (v === null || typeof v !== 'object' || !(part in (v as Json))) return undefined;
      v = (v as Json)[part];
    }
    return typeof v === 'string' ? v : JSON.stringify(v);
  };
  const one = (req: string): boolean => {
    let m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(req);
    if (m) {
      const v = get(m[1]);
      const set = m[3].split(',').map((s) => s.trim());
      return m[2] === 'in' ? v !== undefined && set.includes(v) : v === undefined || !set.includes(v);
    }
    m = /^(\S+?)\s*(==|!=|=|>|<)\s*(\S+)$/.exec(req);
    if (m) {
      const v = get(m[1]);
      switch (m[2]) {
        case '=': case '==': return v === m[3];
        case '!=': return v === undefined || v !== m[3];
        default: {
          if (v === undefined || !/^-?\d+$/.test(v) || !/^-?\d+$/.test(m[3])) return false;
          return m[2] === '>' ? Number(v) > Number(m[3]) : Number(v) < Number(m[3]);
        }
      }
    }
    m = /^(!?)(\S+)$/.exec(req);
    if (m) return m[1] ? get(m[2]) === undefined : get(m[2]) !== undefined;
    throw new Error(`twin: cannot read the resource condition ${JSON.stringify(req)}`);
  };
  for (const r of reqs) if (!one(r)) return { matched: false };
  return { matched: true };
}

/** What the stand-in does for script steps: `(workflow, template) => outcome`. */
export type ScriptFixture = (workflow: string, template: string) => StepOutcome;

export class ExecutorStandIn {
  /** Every step pod handled, in the order found Running. */
  public readonly steps: StepPod[] = [];
  /** Problems the stand-in met (a kubectl it could not run): the test fails on them. */
  public readonly errors: string[] = [];
  private readonly seen = new Set<string>();
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private serial = 0;

  constructor(private readonly cp: ControlPlane, private readonly fixture: ScriptFixture) {}

  public start(): void {
    const tick = async () => {
      if (this.stopped) return;
      try {
        const pods = await this.cp.api<{ items: Json[] }>('GET', `/api/v1/pods?labelSelector=${encodeURIComponent(LABEL_WORKFLOW)}`);
        for (const pod of pods.items) {
          if (pod.status?.phase !== 'Running' || pod.metadata.deletionTimestamp || this.seen.has(pod.metadata.uid)) continue;
          this.seen.add(pod.metadata.uid);
          void this.handle(pod).catch((e: Error) => this.errors.push(`${pod.metadata.namespace}/${pod.metadata.name}: ${e.message}`));
        }
      } catch (e) {
        if (!this.stopped) this.errors.push(`listing step pods: ${(e as Error).message}`);
      }
      if (!this.stopped) this.timer = setTimeout(tick, 500);
    };
    this.timer = setTimeout(tick, 500);
  }

  public stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** The API as the pod's ServiceAccount (argoexec's clientset uses its token); fails naming the step's part. */
  private async as(pod: Json, method: string, apiPath: string, body: Json, what: string, contentType = 'application/json'): Promise<void> {
    const ns = pod.metadata.namespace;
    const user = `system:serviceaccount:${ns}:${pod.spec.serviceAccountName}`;
    const res = await requestAs(this.cp, user, ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'], method, apiPath, body, contentType);
    if (res.status < 200 || res.status >= 300) throw new Error(`${what} as ${user}: HTTP ${res.status}: ${res.text.slice(0, 500)}`);
  }

  /** kubectl as the pod's ServiceAccount (argoexec runs kubectl with its token for resource templates). */
  private kubectlAs(pod: Json, args: string[], input?: string) {
    const ns = pod.metadata.namespace;
    return this.cp.kubectl(['--as', `system:serviceaccount:${ns}:${pod.spec.serviceAccountName}`, '--as-group', 'system:serviceaccounts',
      '--as-group', `system:serviceaccounts:${ns}`, '--as-group', 'system:authenticated', ...args], { input, check: false });
  }

  private async handle(pod: Json): Promise<void> {
    const ns: string = pod.metadata.namespace;
    const workflow: string = pod.metadata.labels[LABEL_WORKFLOW];
    const nodeId: string = pod.metadata.annotations?.[ANNOTATION_NODE_ID] ?? '';
    const owner = (pod.metadata.ownerReferences ?? []).find((o: Json) => o.kind === 'Workflow');
    const main = (pod.spec.containers as Json[]).find((c) => c.name === 'main');
    const env = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].flatMap((c: Json) => c.env ?? []);
    const templateJson: string | undefined = env.find((e: Json) => e.name === 'ARGO_TEMPLATE')?.value;
    if (!nodeId || !owner || !main || !templateJson) throw new Error('not a workflow step pod as the v4.0.5 controller makes them (node-id annotation, Workflow owner, main container, ARGO_TEMPLATE)');
    const tmpl: Json = JSON.parse(templateJson);
    const step: StepPod = {
      workflow, node: pod.metadata.annotations?.[ANNOTATION_NODE_NAME] ?? '', template: tmpl.name, pod: pod.metadata.name, namespace: ns,
      serviceAccount: pod.spec.serviceAccountName, nodeName: pod.spec.nodeName, runningAt: Date.now(),
    };
    this.steps.push(step);

    // The placeholder task result, as argoexec's InitializeOutput makes it (its clientset: a create, then merge patches).
    const results = `/apis/argoproj.io/v1alpha1/namespaces/${ns}/workflowtaskresults`;
    await this.as(pod, 'POST', results, {
      apiVersion: 'argoproj.io/v1alpha1', kind: 'WorkflowTaskResult',
      metadata: {
        name: nodeId, labels: { [LABEL_WORKFLOW]: workflow, [LABEL_COMPLETED]: 'false' },
        ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: workflow, uid: owner.uid }],
      },
    }, 'creating its WorkflowTaskResult');

    let outcome: StepOutcome;
    if (tmpl.resource) {
      outcome = await this.resource(pod, tmpl.resource);
    } else if (tmpl.script || tmpl.container) {
      await sleep(500);
      outcome = this.fixture(workflow, tmpl.name);
    } else {
      throw new Error(`template ${tmpl.name}: the stand-in runs script, container and resource templates only`);
    }

    const patch = (body: Json) => this.as(pod, 'PATCH', `${results}/${nodeId}`, body, 'patching its WorkflowTaskResult', 'application/merge-patch+json');
    // ReportOutputs (the script's stdout as `result`), then FinalizeOutput.
    if (outcome.result !== undefined) await patch({ outputs: { result: outcome.result } });
    await patch({ metadata: { labels: { [LABEL_COMPLETED]: 'true' } } });
    step.exitCode = outcome.exitCode;
    step.message = outcome.message;
    // The container ends: kwok's stages (kwok-argo-steps.yaml) make the pod Succeeded or Failed.
    await this.cp.api('PATCH', `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}`, {
      metadata: { annotations: { [EXIT_CODE]: String(outcome.exitCode), ...(outcome.message ? { [EXIT_MESSAGE]: outcome.message } : {}) } },
    }, 'application/merge-patch+json');
  }

  /** argoexec's `resource` command: kubectl of the manifest, then the conditions (workflow/executor/resource.go). */
  private async resource(pod: Json, r: Json): Promise<StepOutcome> {
    const file = path.join(this.cp.dir, `step-manifest-${this.serial++}.yaml`);
    fs.writeFileSync(file, r.manifest);
    const args: string[] = [r.action];
    if (r.action === 'patch') args.push('--type', r.mergeStrategy ?? 'strategic', '--patch-file', file);
    if (r.action === 'delete') return { exitCode: 1, message: 'the stand-in does not run delete actions' };
    args.push('-f', file, '-o', 'json', ...(r.flags ?? []));
    const out = await this.kubectlAs(pod, args);
    if (out.code !== 0) return { exitCode: 1, message: `no more retries ${out.stderr.trim()}` };
    if (!r.successCondition && !r.failureCondition) return { exitCode: 0 };
    for (;;) {
      if (this.stopped) return { exitCode: 1, message: 'the twin stopped' };
      const live = await this.kubectlAs(pod, ['get', '-f', file, '-o', 'json']);
      if (live.code !== 0) return { exitCode: 1, message: `The resource has been deleted while its status was still being checked: ${live.stderr.trim()}` };
      const obj = JSON.parse(live.stdout) as Json;
      if (r.failureCondition && conditionMatches(r.failureCondition, obj).matched) {
        return { exitCode: 1, message: `failure condition '${r.failureCondition}' evaluated true` };
      }
      if (!r.successCondition || conditionMatches(r.successCondition, obj).matched) return { exitCode: 0 };
      // argoexec polls every RESOURCE_STATE_CHECK_INTERVAL (5 s); 2 s keeps the twin quick.
      await sleep(2000);
    }
  }
}

/** A manifest of a WorkflowTemplate's resource template, parsed (`{{...}}` left as written). */
export function resourceManifest(template: KubeObject, name: string): Json {
  const t = (template.spec.templates as Json[]).find((x) => x.name === name);
  if (!t?.resource?.manifest) throw new Error(`twin: WorkflowTemplate ${template.metadata.name} has no resource template ${name}`);
  return parseAllDocuments(t.resource.manifest)[0].toJS() as Json;
}
