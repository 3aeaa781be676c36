import { ErrorScope, InvalidPropError } from '../../core/errors';
import { checkGpuPrices, checkTenantTarget, costRules, GpuPrice, tenantRules, TenantRuleTarget } from './cost';
import { checkGpuRuleOptions, gpuRules, GpuRuleOptions } from './gpu';
import { checkEndpointTarget, endpointRules, EndpointRuleTarget } from './inference';
import { backupRules, BackupRuleTarget, checkBackupTarget, platformRules } from './platform';
import { AlertRule, checkRuleGroups, RuleGroup } from './rule';
import { checkPipelineTarget, pipelineRules, PipelineRuleTarget } from './pipeline';
import { checkTrainingTarget, trainingRules, TrainingRuleTarget } from './training';

/** What a rule set covers. */
export interface RuleSetInput {
  /** GPU rules (DCGM, GPU nodes); `false` leaves them out. @default - included with default thresholds */
  readonly gpu?: GpuRuleOptions | false;
  readonly trainingJobs?: readonly TrainingRuleTarget[];
  readonly endpoints?: readonly EndpointRuleTarget[];
  /** Model pipelines (src/pipeline): failed runs, gate rejections, rollbacks, staleness. @default - none */
  readonly pipelines?: readonly PipelineRuleTarget[];
  readonly backups?: readonly BackupRuleTarget[];
  /** GPU price table of the cluster's pools: the cost recording rules (group `aiinfra-cost`). @default - no cost rules */
  readonly gpuPrices?: readonly GpuPrice[];
  /** Tenants: quota and idle-quota cost series, budget and queue alerts. @default - none */
  readonly tenants?: readonly TenantRuleTarget[];
  /** Your own alerts, in group `aiinfra-custom`. @default - none */
  readonly custom?: readonly AlertRule[];
  /** Alert names to leave out (e.g. `GpuIdle` on a cluster that is meant to idle). @default - none */
  readonly disabled?: readonly string[];
}

/** Validates the input, builds every group and validates the result; throws InvalidPropError. */
export function buildRuleGroups(scope: ErrorScope, input: RuleSetInput, prop = 'alerts'): RuleGroup[] {
  if (input.gpu !== false) checkGpuRuleOptions(scope, `${prop}.gpu`, input.gpu);
  (input.trainingJobs ?? []).forEach((t, i) => checkTrainingTarget(scope, `trainingJobs[${i}]`, t));
  (input.endpoints ?? []).forEach((t, i) => checkEndpointTarget(scope, `endpoints[${i}]`, t));
  (input.pipelines ?? []).forEach((t, i) => checkPipelineTarget(scope, `pipelines[${i}]`, t));
  (input.backups ?? []).forEach((t, i) => checkBackupTarget(scope, `backups[${i}]`, t));
  if (input.gpuPrices) checkGpuPrices(scope, 'gpuPrices', input.gpuPrices);
  (input.tenants ?? []).forEach((t, i) => checkTenantTarget(scope, `tenants[${i}]`, t));
  const groups: RuleGroup[] = [platformRules()];
  if (input.gpu !== false) groups.push(gpuRules(input.gpu ?? {}));
  for (const t of input.trainingJobs ?? []) groups.push(trainingRules(t));
  for (const t of input.endpoints ?? []) groups.push(endpointRules(t));
  for (const t of input.pipelines ?? []) groups.push(pipelineRules(t));
  for (const t of input.backups ?? []) groups.push(backupRules(t));
  if (input.gpuPrices) groups.push(costRules(input.gpuPrices));
  for (const t of input.tenants ?? []) groups.push(tenantRules(t));
  if (input.custom && input.custom.length > 0) groups.push({ name: 'aiinfra-custom', area: 'platform', rules: [...input.custom] });
  const known = new Set(groups.flatMap((g) => g.rules.map((r) => r.name)));
  for (const name of input.disabled ?? []) {
    if (!known.has(name)) throw new InvalidPropError(scope, `${prop}.disabled`, name, `one of the alert names: ${[...known].sort().join(', ')}`);
  }
  const disabled = new Set(input.disabled ?? []);
  const result = groups
    .map((g) => ({ ...g, rules: g.rules.filter((r) => !disabled.has(r.name)) }))
    .filter((g) => g.rules.length > 0 || (g.records ?? []).length > 0);
  checkRuleGroups(scope, prop, result);
  return result;
}
