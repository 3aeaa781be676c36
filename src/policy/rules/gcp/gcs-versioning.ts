import { terraformRule } from '../../rule';
import { isGcsLogTarget } from '../../log-targets';
import { dig, isOn } from '../../util';

/** AI-GCP-GCS-4: buckets keep object versions. */
export const GcsVersioning = terraformRule({
  id: 'AI-GCP-GCS-4',
  severity: 'error',
  title: 'Cloud Storage bucket versioning enabled',
  rationale: 'An overwritten or deleted checkpoint stays recoverable as a noncurrent version.',
  remediation: 'Set versioning { enabled = true } and a lifecycle rule that deletes old noncurrent versions. Buckets that only receive usage logs are exempt.',
  constructFix: 'ModelBackupBucket versioned: true (the default, except with objectLock on GCP, where a retention policy excludes versioning: suppress with that reason)',
  checkov: ['CKV_GCP_78'],
  resourceTypes: ['google_storage_bucket'],
  check(bucket, ctx) {
    // Usage-log objects are written once by Cloud Storage and expire by lifecycle: versions would keep every expired log.
    if (isGcsLogTarget(bucket, ctx)) return undefined;
    return isOn(dig(bucket.attrs, 'versioning', 'enabled')) ? undefined : 'versioning is not enabled';
  },
});
