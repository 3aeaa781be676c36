import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { InvalidPropError } from '../../src';
import { azureRules } from '../../src/clouds/azure/monitoring-rules';
import { gcpPolicies, gcpTemplate } from '../../src/clouds/gcp/monitoring-rules';
import {
  AlertRule, buildRuleGroups, checkAlertRule, durationSeconds, endpointRules, gpuRules,
  isDuration, isoDuration, prometheusRulesYaml, RuleGroup, trainingRules,
} from '../../src/monitoring/rules';
import { CONTRACT_METRICS, expectInvalid } from './helpers';

const profile = JSON.parse(fs.readFileSync(path.join(__dirname, 'promtool', 'profile.json'), 'utf8'));

function promtool(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

const ok: AlertRule = {
  name: 'SomethingBroke', expr: 'up == 0', for: '5m', severity: 'warning',
  summary: 'something broke', description: 'it did', runbook: 'fix it',
};

describe('rule catalog', () => {
  const groups = buildRuleGroups('test', profile);
  const names = groups.flatMap((g) => g.rules.map((r) => r.name));

  test('covers every required alert', () => {
    expect(names.sort()).toEqual([
      'BackupRestoreDrillFailed', 'BackupRestoreDrillOverdue',
      'EndpointAtMaxReplicas', 'EndpointErrorBudgetBurnFast', 'EndpointErrorBudgetBurnSlow', 'EndpointLatencyP95OverSlo',
      'EndpointQueueDepthHigh', 'EndpointTtftP95OverSlo',
      'GpuDoubleBitEccError', 'GpuIdle', 'GpuMemoryNearFull', 'GpuNodeNotReady', 'GpuThermalOrPowerThrottling', 'GpuXidError',
      'GpuXidHardwareError',
      'ModelPipelineCanaryRolledBack', 'ModelPipelineGateRejectedRepeatedly', 'ModelPipelineNoSuccessfulRun', 'ModelPipelineRunFailed',
      'ScrapeTargetDown',
      // one budget pair per tenant with a budget (research, serving), a queue alert per tenant (research, serving, idle)
      'TenantGpuBudgetBurn', 'TenantGpuBudgetBurn', 'TenantGpuBudgetOverrun', 'TenantGpuBudgetOverrun',
      'TenantJobPendingTooLong', 'TenantJobPendingTooLong', 'TenantJobPendingTooLong',
      'TrainingCheckpointStale', 'TrainingJobFailed', 'TrainingJobRestartingRepeatedly', 'TrainingStalled',
    ]);
  });

  test('the README rule table lists every alert with its anchor and severity', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'monitoring', 'README.md'), 'utf8');
    for (const g of groups) {
      for (const r of g.rules) {
        expect(readme).toContain(`<a id="${r.name.toLowerCase()}"></a>\`${r.name}\` | ${r.severity}`);
      }
    }
  });

  test('every rule has a summary, a description and a runbook, and a valid for', () => {
    for (const g of groups) for (const r of g.rules) expect(() => checkAlertRule('t', 'rule', r)).not.toThrow();
  });

  test('the rules read exactly the metric names of compute/CONTRACT.md (trainer and server)', () => {
    const used = new Set(groups.flatMap((g) => g.rules.flatMap((r) => r.expr.match(/aiinfra_(train|server)_[a-z_]+/g) ?? []))
      .map((m) => m.replace(/_(bucket|sum|count)$/, '')));
    for (const m of used) expect(CONTRACT_METRICS).toContain(m);
    expect(used).toEqual(new Set([
      'aiinfra_train_step', 'aiinfra_train_last_checkpoint_timestamp_seconds', 'aiinfra_train_start_timestamp_seconds',
      'aiinfra_train_restarts_total', 'aiinfra_server_requests_total', 'aiinfra_server_request_duration_seconds', 'aiinfra_server_time_to_first_token_seconds',
      'aiinfra_server_queue_depth',
    ]));
  });

  test('GPU rules read the DCGM fields the cluster enables (XID, ECC, clock-event reasons under both names)', () => {
    const exprs = gpuRules().rules.map((r) => r.expr).join('\n');
    for (const f of ['DCGM_FI_DEV_XID_ERRORS', 'DCGM_FI_DEV_ECC_DBE_VOL_TOTAL', 'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS',
      'DCGM_FI_DEV_CLOCKS_EVENT_REASONS', 'DCGM_FI_DEV_GPU_UTIL', 'DCGM_FI_DEV_FB_USED', 'DCGM_FI_DEV_FB_FREE']) {
      expect(exprs).toContain(f);
    }
    const { DCGM_COUNTERS } = require('../../src/k8s/charts') as typeof import('../../src/k8s/charts');
    const enabled = new Set(DCGM_COUNTERS.map(([f]) => f));
    for (const f of ['DCGM_FI_DEV_XID_ERRORS', 'DCGM_FI_DEV_ECC_DBE_VOL_TOTAL', 'DCGM_FI_DEV_GPU_UTIL', 'DCGM_FI_DEV_FB_USED', 'DCGM_FI_DEV_FB_FREE']) {
      expect(enabled).toContain(f);
    }
    expect(enabled.has('DCGM_FI_DEV_CLOCKS_EVENT_REASONS') || enabled.has('DCGM_FI_DEV_CLOCK_THROTTLE_REASONS')).toBe(true);
  });

  test('thresholds come from the options', () => {
    const g = gpuRules({ idleUtilizationPercent: 5, idleFor: '2h', memoryUsedRatio: 0.9 });
    const idle = g.rules.find((r) => r.name === 'GpuIdle')!;
    expect(idle.expr).toBe('DCGM_FI_DEV_GPU_UTIL < 5');
    expect(idle.for).toBe('2h');
    expect(g.rules.find((r) => r.name === 'GpuMemoryNearFull')!.expr).toMatch(/> 0\.9$/);
    const t = trainingRules({ name: 'run', namespace: 'ml', stalledAfter: '30m', checkpointStaleAfter: '3h' });
    expect(t.rules.find((r) => r.name === 'TrainingStalled')!.expr).toContain('[30m]');
    expect(t.rules.find((r) => r.name === 'TrainingCheckpointStale')!.expr).toContain('> 10800');
  });

  test('burn-rate alerts use the SRE workbook windows and factors', () => {
    const e = endpointRules({ name: 'chat', namespace: 'serve', availability: 0.99 });
    const fast = e.rules.find((r) => r.name === 'EndpointErrorBudgetBurnFast')!;
    const slow = e.rules.find((r) => r.name === 'EndpointErrorBudgetBurnSlow')!;
    for (const w of ['[1h]', '[5m]', '[6h]', '[30m]']) expect(fast.expr).toContain(w);
    for (const w of ['[1d]', '[2h]', '[3d]', '[6h]']) expect(slow.expr).toContain(w);
    expect(fast.expr).toContain('> 0.144');
    expect(fast.expr).toContain('> 0.06');
    expect(slow.expr).toContain('> 0.03');
    expect(slow.expr).toContain('> 0.01');
    expect(fast.severity).toBe('critical');
    expect(slow.severity).toBe('warning');
    expect(fast.labels).toEqual({ aiinfra_endpoint: 'chat' });
  });

  test('the endpoint rules follow the runtime metric names and selector', () => {
    const e = endpointRules({
      name: 'chat', namespace: 'serve', selector: 'namespace="serve",service="chat"',
      metrics: { requests: 'http_requests_total', errorMatcher: 'status="5xx"', requestDuration: 'vllm:e2e_request_latency_seconds',
        timeToFirstToken: 'vllm:time_to_first_token_seconds', queueDepth: 'vllm:num_requests_waiting' },
    });
    const all = e.rules.map((r) => r.expr).join('\n');
    expect(all).toContain('http_requests_total{namespace="serve",service="chat",status="5xx"}');
    expect(all).toContain('vllm:e2e_request_latency_seconds_bucket');
    expect(all).not.toContain('aiinfra_server');
  });
});

describe('rendering', () => {
  const groups = buildRuleGroups('test', profile);

  test('Prometheus rules file: labels carry severity and area, annotations the texts and the runbook URL', () => {
    const doc = parse(prometheusRulesYaml(groups, { runbookBaseUrl: 'https://runbooks.example.com/ai' }));
    const rule = doc.groups.find((g: { name: string }) => g.name === 'aiinfra-gpu').rules[0];
    expect(rule).toMatchObject({ alert: 'GpuXidHardwareError', for: '0s', labels: { severity: 'critical', area: 'gpu' } });
    expect(rule.annotations.runbook_url).toBe('https://runbooks.example.com/ai#gpuxidhardwareerror');
    expect(Object.keys(rule.annotations).sort()).toEqual(['description', 'runbook', 'runbook_url', 'summary']);
  });

  test('Azure: ISO 8601 durations and numeric severities', () => {
    const gpu = azureRules(groups.find((g) => g.name === 'aiinfra-gpu')!);
    expect(gpu.find((r) => r.alert === 'GpuIdle')).toMatchObject({ for: 'PT1H', severity: 2 });
    const xid = gpu.find((r) => r.alert === 'GpuXidHardwareError')!;
    expect(xid.severity).toBe(0);
    expect(xid.for).toBeUndefined();
  });

  test('GCP: seconds durations, Cloud Monitoring severities and template variables', () => {
    const training = gcpPolicies(groups.find((g) => g.area === 'training')!);
    const stalled = training.find((p) => p.alertRule === 'TrainingStalled')!;
    expect(stalled).toMatchObject({ duration: '120s', evaluationInterval: '60s', severity: 'CRITICAL' });
    expect(gcpTemplate('job {{ $labels.job_name }} at {{ $value | humanize }}')).toBe('job ${metric.label.job_name} at the value');
  });

  test('durations', () => {
    expect(isDuration('1h30m')).toBe(true);
    expect(isDuration('90')).toBe(false);
    expect(isDuration('5 minutes')).toBe(false);
    expect(durationSeconds('1h30m')).toBe(5400);
    expect(isoDuration('1d2h')).toBe('P1DT2H');
    expect(isoDuration('90s')).toBe('PT1M30S');
  });
});

describe('bad rules', () => {
  test.each([
    [{ ...ok, severity: 'page' }, /invalid rule\[SomethingBroke\]\.severity = "page"\. Allowed: one of "critical", "warning", "info"/],
    [{ ...ok, for: '5 minutes' }, /rule\[SomethingBroke\]\.for = "5 minutes"\. Allowed: a Prometheus duration/],
    [{ ...ok, for: 300 }, /rule\[SomethingBroke\]\.for = 300/],
    [{ ...ok, expr: 'sum(rate(up[5m])' }, /rule\[SomethingBroke\]\.expr .*balanced brackets/],
    [{ ...ok, expr: 'up{job="x} == 0' }, /rule\[SomethingBroke\]\.expr/],
    [{ ...ok, name: 'lower_case' }, /rule\.name = "lower_case"/],
    [{ ...ok, runbook: ' ' }, /rule\[SomethingBroke\]\.runbook/],
    [{ ...ok, labels: { severity: 'x' } }, /rule\[SomethingBroke\]\.labels = "severity"/],
  ])('rejects %#', (rule, message) => {
    expectInvalid(() => checkAlertRule('Test', 'rule', rule as AlertRule), message);
  });

  test('an unknown alert name in disabled', () => {
    expectInvalid(() => buildRuleGroups('Test', { disabled: ['GpuOnFire'] }), /alerts\.disabled = "GpuOnFire"/);
  });

  test('training and endpoint targets are validated', () => {
    expectInvalid(() => buildRuleGroups('Test', { trainingJobs: [{ name: 'x', namespace: 'ml', stalledAfter: '30s' }] }), /stalledAfter = "30s"/);
    expectInvalid(() => buildRuleGroups('Test', { endpoints: [{ name: 'x', namespace: 'ml', availability: 1 }] }), /availability = 1/);
    expectInvalid(() => buildRuleGroups('Test', { gpu: { idleFor: 'an hour' } }), /alerts\.gpu\.idleFor = "an hour"/);
  });

  test('InvalidPropError carries the prop and the value', () => {
    const err = expectInvalid(() => checkAlertRule('Test', 'rule', { ...ok, severity: 'sev1' as never }), /severity/);
    expect(err).toBeInstanceOf(InvalidPropError);
    expect(err.prop).toBe('rule[SomethingBroke].severity');
    expect(err.value).toBe('sev1');
  });
});

// promtool is the full PromQL parser: what the bracket check cannot see (a dangling operator, an unknown
// function) it rejects. scripts/test-promtool.sh runs it (and the unit tests) in `npm test`; here when installed.
const tool = promtool();
(tool ? describe : describe.skip)('promtool (installed)', () => {
  function check(groups: RuleGroup[]): { status: number | null; output: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rules-'));
    const file = path.join(dir, 'rules.yaml');
    fs.writeFileSync(file, prometheusRulesYaml(groups));
    const r = spawnSync(tool!, ['check', 'rules', file], { encoding: 'utf8' });
    fs.rmSync(dir, { recursive: true, force: true });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  }

  test('accepts every rule of the catalog', () => {
    expect(check(buildRuleGroups('test', profile)).status).toBe(0);
  });

  test.each([
    ['a dangling operator', 'rate(up[5m]) >'],
    ['an unknown function', 'rates(up[5m]) > 0'],
    ['a range where a vector is due', 'up[5m] > 0'],
  ])('rejects invalid PromQL: %s', (_what, expr) => {
    const rule = { ...ok, expr };
    expect(() => checkAlertRule('t', 'rule', rule)).not.toThrow();
    const result = check([{ name: 'bad', area: 'platform', rules: [rule] }]);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/SomethingBroke|parse|expr/i);
  });
});
