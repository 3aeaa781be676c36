/**
 * The model pipeline run by the real Argo Workflows controller in the digital twin (issue 25): examples/platform on
 * AWS (tenant `research`, pipeline `chat-model`), its WorkflowTemplate submitted as its CronWorkflow submits it.
 * The controller, Kueue, the scheduler, admission and RBAC are real; argoexec's part in each step pod is played by
 * `ExecutorStandIn` and Flagger's by `flaggerStandIn` (workflows.ts, test/twin/README.md: "The pipeline run").
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdktf';
import { Platform } from '../../examples/platform/platform';
import { Cloud } from '../../src';
import { trainingJobProblems } from './checks';
import { KubeObject } from './platform';
import { readApp, sleep, Twin, waitFor } from './twin';
import { ARGO_KWOK_STAGES, argoController, argoRelease, LABEL_WORKFLOW, conditionMatches, controllerConfig, ExecutorStandIn, resourceManifest, ScriptFixture, startWorkflowController, workflowFromCron } from './workflows';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'aiinfra-twin-pipeline-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** Runs of the pipeline, by the fixture they get from the stand-in. */
const ACCEPTED = 'chat-model-accepted';
const REJECTED = 'chat-model-rejected';
const STEP_FAILS = 'chat-model-step-fails';
/** The registry version each run's register step prints (its `outputs.result`). */
const VERSION: Record<string, string> = { [ACCEPTED]: '7', [REJECTED]: '8' };

/**
 * The script steps' exit codes and stdout (what the real programs would print): register prints the new version,
 * the gate the number of rejections in a row (0 = accepted); the register step of STEP_FAILS exits 1 (train and
 * evaluate are Jobs, which kwok completes).
 */
const fixture: ScriptFixture = (workflow, template) => {
  if (workflow === STEP_FAILS && template === 'register') return { exitCode: 1 };
  if (template === 'register') return { exitCode: 0, result: VERSION[workflow] ?? '1' };
  if (template === 'gate') return { exitCode: 0, result: workflow === REJECTED ? '2' : '0' };
  return { exitCode: 0 };
};

const WF = '/apis/argoproj.io/v1alpha1';
const TERMINAL = ['Succeeded', 'Failed', 'Error'];

/** The steps of the template's `main` steps template, in order. */
function stepOrder(template: KubeObject): string[] {
  const main = (template.spec.templates as Json[]).find((t) => t.name === template.spec.entrypoint)!;
  return (main.steps as Json[][]).flat().map((s) => s.template as string);
}

/** Pod nodes of a finished Workflow, by start time. */
function podNodes(wf: Json): Json[] {
  return Object.values<Json>(wf.status?.nodes ?? {}).filter((n) => n.type === 'Pod')
    .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
}

describe('the chat-model pipeline of examples/platform (AWS) on the real Argo Workflows controller', () => {
  let twin: Twin;
  let standIn: ExecutorStandIn;
  let stopFlagger = () => undefined as void;
  let template: KubeObject;
  let cron: KubeObject;
  let deploy: Json;
  let canary: Json;

  beforeAll(async () => {
    // The controller binary first (a build of many minutes on a cold Go cache, instant when cached).
    argoController();
    const outdir = path.join(scratch, 'platform-aws');
    const app = new App({ outdir, stackTraces: false });
    new Platform(app, 'platform-aws', { cloud: Cloud.aws({ region: 'us-east-1' }) });
    app.synth();
    const synthesized = readApp('examples/platform (platform-aws)', outdir);
    const release = argoRelease(synthesized.stacks[0].json);
    twin = await Twin.start(synthesized, { kwokStages: [ARGO_KWOK_STAGES] });
    template = twin.ofKind('WorkflowTemplate').find((t) => t.metadata.name === 'chat-model')!;
    cron = twin.ofKind('CronWorkflow').find((t) => t.metadata.name === 'chat-model')!;
    deploy = resourceManifest(template, 'deploy');
    canary = resourceManifest(template, 'canary');
    await startWorkflowController(twin.cp, release);
    standIn = new ExecutorStandIn(twin.cp, fixture);
    standIn.start();
    stopFlagger = flaggerStandIn(twin, deploy, canary, standIn);
  }, 1200000);
  afterAll(async () => {
    stopFlagger();
    standIn?.stop();
    await twin?.stop();
  });

  /** Submits runs as the CronWorkflow would and waits until every one has ended. */
  async function run(names: string[], ms: number): Promise<Json[]> {
    try {
      return await runAndWait(names, ms);
    } catch (e) {
      // A run that cannot finish holds the pipeline's mutex: deleted, so the next test is not blocked behind it.
      for (const n of names) await twin.cp.api('DELETE', `${WF}/namespaces/${cron.metadata.namespace}/workflows/${n}`).catch(() => undefined);
      throw e;
    }
  }

  async function runAndWait(names: string[], ms: number): Promise<Json[]> {
    for (const name of names) await twin.cp.api('POST', `${WF}/namespaces/${cron.metadata.namespace}/workflows`, workflowFromCron(cron, name));
    const done = await waitFor(ms, async () => {
      twin.autoscaler.check();
      // A step pod no node pool can take never runs: fail at once with the autoscaler's reasons.
      for (const pod of await twin.pods(cron.metadata.namespace!, {})) {
        const why = twin.autoscaler.unplaceable.get(`${pod.metadata.namespace}/${pod.metadata.name}`);
        if (why && names.includes(pod.metadata.labels?.[LABEL_WORKFLOW])) throw new Error(`step pod ${pod.metadata.name} fits no node pool: ${why}`);
      }
      const wfs = await Promise.all(names.map((n) => twin.cp.api<Json>('GET', `${WF}/namespaces/${cron.metadata.namespace}/workflows/${n}`)));
      // A stand-in that could not do its part (e.g. RBAC refused the ServiceAccount) ends the wait at once.
      return wfs.every((w) => TERMINAL.includes(w.status?.phase)) || standIn.errors.length > 0 ? wfs : undefined;
    });
    if (!done || standIn.errors.length > 0) {
      const wfs = await Promise.all(names.map((n) => twin.cp.api<Json>('GET', `${WF}/namespaces/${cron.metadata.namespace}/workflows/${n}`)));
      const where = wfs.map((w) => `${w.metadata.name}: ${w.status?.phase ?? 'no phase'} ${w.status?.message ?? ''}; nodes: ${podNodes(w)
        .map((n) => `${n.templateName}=${n.phase}${n.message ? ` (${n.message})` : ''}`).join(', ')}`).join('\n');
      throw new Error(`${standIn.errors.length ? 'the stand-in failed' : `the runs did not end in ${ms / 1000} s`}:\n${where}\nstand-in: ${standIn.errors.join('; ') || 'no errors'}\n`
        + `controller:\n${twin.cp.logTail('workflow-controller', 15)}`);
    }
    return done;
  }

  test('the configuration our chart values give the controller is the one it runs with', () => {
    const config = controllerConfig(argoRelease({ resource: { helm_release: { r: { chart: 'argo-workflows', version: '1.0.18', name: 'a', namespace: 'b', values: [
      'controller:\n  workflowRestrictions: { templateReferencing: Strict }\nexecutor:\n  securityContext: { runAsNonRoot: true }\n'] } } } }).values, 1234);
    expect(config).toMatchObject({ workflowRestrictions: { templateReferencing: 'Strict' }, executor: { imagePullPolicy: 'Always', securityContext: { runAsNonRoot: true } } });
    // The fixture: a value the mapping does not know fails instead of going untested.
    expect(() => controllerConfig({ controller: { persistence: { archive: true } } }, 1234)).toThrow(/controller\.persistence is not mapped/);
    expect(conditionMatches('status.phase in (Progressing,Waiting)', { status: { phase: 'Waiting' } }).matched).toBe(true);
    expect(conditionMatches('status.succeeded > 0', { status: {} }).matched).toBe(false);
  });

  test('a run: every step in the template\'s order, in the tenant namespace under the pipeline\'s ServiceAccount; train admitted by Kueue on the GPU pool; Succeeded', async () => {
    const [wf] = await run([ACCEPTED], 240000);
    expect(standIn.errors).toEqual([]);
    expect(`${wf.status.phase} ${wf.status.message ?? ''}`.trim()).toBe('Succeeded');
    const steps = standIn.steps.filter((s) => s.workflow === ACCEPTED);
    expect(steps.map((s) => s.template)).toEqual(stepOrder(template));
    for (const s of steps) {
      expect({ step: s.template, namespace: s.namespace, serviceAccount: s.serviceAccount })
        .toEqual({ step: s.template, namespace: template.metadata.namespace, serviceAccount: template.spec.serviceAccountName });
    }
    // One after the other: each step started after the one before it had finished (the controller's own times).
    const nodes = podNodes(wf);
    expect(nodes.map((n) => n.templateName)).toEqual(stepOrder(template));
    for (let i = 1; i < nodes.length; i++) expect(Date.parse(nodes[i].startedAt)).toBeGreaterThanOrEqual(Date.parse(nodes[i - 1].finishedAt));
    // The train step's Job: owned by the run, admitted by Kueue in the tenant's ClusterQueue as one gang, on the GPU pool, Complete.
    const job = await twin.cp.api<KubeObject>('GET', `/apis/batch/v1/namespaces/${template.metadata.namespace}/jobs/${ACCEPTED}-train`);
    expect(job.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Workflow', name: ACCEPTED, uid: wf.metadata.uid })]);
    expect(await trainingJobProblems(twin, job, 30000)).toEqual([]);
    // The evaluate step's Job: one GPU on the same pool, through the same queue, after train.
    const evaluateJob = await twin.cp.api<KubeObject>('GET', `/apis/batch/v1/namespaces/${template.metadata.namespace}/jobs/${ACCEPTED}-evaluate`);
    expect(evaluateJob.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Workflow', name: ACCEPTED, uid: wf.metadata.uid })]);
    expect(evaluateJob.spec.template.spec.nodeSelector).toEqual(job.spec.template.spec.nodeSelector);
    expect(await trainingJobProblems(twin, evaluateJob, 30000)).toEqual([]);
    // The gate's result decided; the registered version went to the endpoint and, after the canary passed, to promote.
    const promote = nodes.find((n) => n.templateName === 'promote')!;
    expect(promote.inputs.parameters).toEqual([expect.objectContaining({ name: 'version', value: VERSION[ACCEPTED] })]);
    const live = await twin.cp.api<Json>('GET', `/apis/apps/v1/namespaces/${deploy.metadata.namespace}/deployments/${deploy.metadata.name}`);
    const [annotation] = Object.keys(deploy.spec.template.metadata.annotations);
    expect(live.spec.template.metadata.annotations[annotation]).toBe(VERSION[ACCEPTED]);
  });

  test('a step that fails ends its run there (later steps never start); a rejected version is not deployed; the mutex keeps the two runs apart', async () => {
    const [failed, rejected] = await run([STEP_FAILS, REJECTED], 240000);
    expect(standIn.errors).toEqual([]);
    // The failing run: prep, train, evaluate, register once (a step's own failure is not retried: retryPolicy OnError), then nothing.
    expect(failed.status.phase).toBe('Failed');
    expect(standIn.steps.filter((s) => s.workflow === STEP_FAILS).map((s) => s.template)).toEqual(['prep', 'train', 'evaluate', 'register']);
    const register = podNodes(failed).find((n) => n.templateName === 'register')!;
    expect(`${register.phase}: ${register.message}`).toMatch(/^Failed: .*exit code 1/);
    // The rejected run: Succeeded with deploy, the canary waits and promote skipped; the endpoint keeps the accepted version.
    expect(rejected.status.phase).toBe('Succeeded');
    expect(standIn.steps.filter((s) => s.workflow === REJECTED).map((s) => s.template)).toEqual(['prep', 'train', 'evaluate', 'register', 'gate']);
    const skipped = Object.values<Json>(rejected.status.nodes).filter((n) => n.phase === 'Skipped').map((n) => n.displayName).sort();
    expect(skipped).toEqual(['canary', 'canary-started', 'deploy', 'promote']);
    const live = await twin.cp.api<Json>('GET', `/apis/apps/v1/namespaces/${deploy.metadata.namespace}/deployments/${deploy.metadata.name}`);
    const [annotation] = Object.keys(deploy.spec.template.metadata.annotations);
    expect(live.spec.template.metadata.annotations[annotation]).toBe(VERSION[ACCEPTED]);
    // Submitted together, run one after the other (the template's mutex): no step of one ran while the other had one running.
    const [first, second] = [failed, rejected].sort((a, b) => Date.parse(podNodes(a)[0].startedAt) - Date.parse(podNodes(b)[0].startedAt));
    const firstEnd = Math.max(...podNodes(first).map((n) => Date.parse(n.finishedAt)));
    expect(Date.parse(podNodes(second)[0].startedAt)).toBeGreaterThanOrEqual(firstEnd);
  });
});

/**
 * Flagger's part, as far as the pipeline sees it (Flagger is not running in the twin): when the deploy step has set
 * a new version on the endpoint's pod template, the Canary goes to `Progressing` (Flagger starts the analysis), and
 * once the pipeline's `canary` step waits on it, to `Succeeded` (the analysis passed). Returns a stop function.
 */
function flaggerStandIn(twin: Twin, deploy: Json, canary: Json, standIn: ExecutorStandIn): () => void {
  const [annotation] = Object.keys(deploy.spec.template.metadata.annotations);
  const canaryPath = `/apis/${canary.apiVersion}/namespaces/${canary.metadata.namespace}/canaries/${canary.metadata.name}/status`;
  const phase = (p: string) => twin.cp.api('PATCH', canaryPath, { status: { phase: p } }, 'application/merge-patch+json');
  let stopped = false;
  let handled: string | undefined;
  let waiting = false;
  void (async () => {
    while (!stopped) {
      try {
        const d = await twin.cp.api<Json>('GET', `/apis/apps/v1/namespaces/${deploy.metadata.namespace}/deployments/${deploy.metadata.name}`);
        const version: string | undefined = d.spec.template.metadata.annotations?.[annotation];
        if (version && version !== handled) {
          handled = version;
          await phase('Progressing');
          waiting = true;
        }
        if (waiting && standIn.steps.some((s) => s.template === 'canary' && s.exitCode === undefined)) {
          await phase('Succeeded');
          waiting = false;
        }
      } catch (e) {
        standIn.errors.push(`Flagger stand-in: ${(e as Error).message}`);
      }
      await sleep(1000);
    }
  })();
  return () => {
    stopped = true;
  };
}

