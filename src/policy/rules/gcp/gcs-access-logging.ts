import { terraformRule } from '../../rule';
import { isGcsLogTarget } from '../../log-targets';
import { dig, isSet } from '../../util';

/** AI-GCP-GCS-5: bucket usage is logged to another bucket. */
export const GcsAccessLogging = terraformRule({
  id: 'AI-GCP-GCS-5',
  severity: 'warning',
  title: 'Cloud Storage bucket access logging',
  rationale: 'Usage logs show who read which model; Data Access audit logs are the alternative at project level.',
  remediation: 'Set logging { log_bucket = <log bucket> } (not the bucket itself), or enable Data Access audit logs for storage.googleapis.com.',
  constructFix: 'ModelBackupBucket accessLogs: true (the default)',
  checkov: ['CKV_GCP_62'],
  resourceTypes: ['google_storage_bucket'],
  check(bucket, ctx) {
    if (isSet(dig(bucket.attrs, 'logging', 'log_bucket'))) return undefined;
    const auditConfigs = ctx.resources('google_project_iam_audit_config').filter((c) => c.attrs.service === 'storage.googleapis.com' || c.attrs.service === 'allServices');
    if (auditConfigs.length > 0) return undefined;
    return isGcsLogTarget(bucket, ctx) ? undefined : 'no logging.log_bucket';
  },
});
