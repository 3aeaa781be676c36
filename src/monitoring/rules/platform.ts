import { check, ErrorScope } from '../../core/errors';
import { AlertRule, promString, RuleGroup } from './rule';

/** A scheduled restore drill of a backup bucket (a Kubernetes Job or CronJob). */
export interface BackupRuleTarget {
  /** Bucket name, for messages. */
  readonly bucketName: string;
  /** Namespace of the restore-drill Job. */
  readonly namespace: string;
  /** Name of the restore-drill Job or CronJob (Jobs it starts carry this prefix). */
  readonly drillJobName: string;
  /** A drill older than this many days is overdue. @default 8 */
  readonly maxDrillAgeDays?: number;
}

export function checkBackupTarget(scope: ErrorScope, prop: string, t: BackupRuleTarget): void {
  check.matches(scope, `${prop}.namespace`, t.namespace, /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a Kubernetes namespace');
  check.matches(scope, `${prop}.drillJobName`, t.drillJobName, /^[a-z0-9]([-a-z0-9.]{0,50}[a-z0-9])?$/, 'a Kubernetes Job name');
  check.integerInRange(scope, `${prop}.maxDrillAgeDays`, t.maxDrillAgeDays, 1, 366);
}

/** Scrape health: a target the platform relies on cannot be scraped. */
export function platformRules(): RuleGroup {
  const rules: AlertRule[] = [
    {
      name: 'ScrapeTargetDown',
      expr: 'up == 0',
      for: '10m',
      severity: 'warning',
      summary: 'Scrape target {{ $labels.job }} {{ $labels.instance }} is down',
      description: 'Prometheus has failed to scrape this target for 10 minutes. Alerts that read its metrics (GPU faults, stalled '
        + 'training, SLOs) cannot fire while it is down.',
      runbook: 'Check the pod behind the target (kubectl get pods -n {{ $labels.namespace }}), its metrics port and the '
        + 'NetworkPolicy allowing the monitoring namespace in.',
    },
  ];
  return { name: 'aiinfra-platform', area: 'platform', rules };
}

/** Alerts for a backup bucket's restore drill: failed, or not run recently. */
export function backupRules(t: BackupRuleTarget): RuleGroup {
  const jobSel = `namespace=${promString(t.namespace)},job_name=~${promString(`${t.drillJobName.replace(/\./g, '\\.')}.*`)}`;
  const days = t.maxDrillAgeDays ?? 8;
  const rules: AlertRule[] = [
    {
      name: 'BackupRestoreDrillFailed',
      expr: `kube_job_status_failed{${jobSel}} > 0`,
      for: '0s',
      severity: 'warning',
      summary: `Restore drill {{ $labels.job_name }} of bucket ${t.bucketName} failed`,
      description: 'The scheduled restore drill could not read back and verify a checkpoint: backups may not be restorable.',
      runbook: 'Read the drill Job logs (kubectl logs job/{{ $labels.job_name }} -n {{ $labels.namespace }}): checksum mismatches '
        + 'mean corrupt objects; access errors mean the drill identity lost its read grant or the key is disabled.',
    },
    {
      name: 'BackupRestoreDrillOverdue',
      expr: `time() - max by (namespace) (kube_job_status_completion_time{${jobSel}}) > ${days * 86400}`,
      for: '1h',
      severity: 'info',
      summary: `No successful restore drill of bucket ${t.bucketName} for ${days} days`,
      description: 'Untested backups are not backups: the newest completed restore drill is too old.',
      runbook: 'Check that the drill CronJob is not suspended and that its Jobs are scheduled; run one by hand with '
        + 'kubectl create job --from=cronjob/<name>.',
    },
  ];
  return { name: `aiinfra-backup-${t.namespace}-${t.drillJobName}`.slice(0, 63).replace(/[-.]+$/, '').replace(/\./g, '-'), area: 'platform', rules };
}
