// Buckets that receive server access logs. Cloud logging services write to them, which limits what they
// support: S3 server access log delivery rejects SSE-KMS target buckets, and log objects are written once.
import { PolicyContext, TerraformResourceView } from './rule';
import { dig, mentions } from './util';

/** True when some aws_s3_bucket_logging delivers access logs into `bucket`. */
export function isS3LogTarget(bucket: TerraformResourceView, ctx: PolicyContext): boolean {
  const name = bucket.attrs.bucket;
  return ctx.resources('aws_s3_bucket_logging').some((l) => mentions(l.attrs.target_bucket, bucket.address)
    || (typeof name === 'string' && name.length > 0 && l.attrs.target_bucket === name));
}

/** True when some google_storage_bucket writes its usage logs into `bucket`. */
export function isGcsLogTarget(bucket: TerraformResourceView, ctx: PolicyContext): boolean {
  const name = bucket.attrs.name;
  return ctx.resources('google_storage_bucket').some((b) => {
    if (b === bucket) return false;
    const target = dig(b.attrs, 'logging', 'log_bucket');
    return mentions(target, bucket.address) || (typeof name === 'string' && name.length > 0 && target === name);
  });
}
