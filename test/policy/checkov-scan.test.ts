// examples/ci/checkov-scan.py (used by scripts/test-checkov.sh and the user pipeline) against a stub checkov:
// it scans a copy without terraform.required_version, applies exactly the skips the JSON declares, fails on
// the rest and on a skip without a reason.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const SCAN = path.join(__dirname, '../../examples/ci/checkov-scan.py');

/** A stand-in for checkov: fails CKV_AWS_1 and CKV2_AWS_62 on every aws_s3_bucket; crashes on required_version. */
const STUB = `#!/usr/bin/env python3
import json, os, sys
d = sys.argv[sys.argv.index("-d") + 1]
config = json.load(open(os.path.join(d, "cdk.tf.json")))
if "required_version" in config.get("terraform", {}):
    sys.stderr.write("JSONDecodeError\\n"); sys.exit(2)
failed = [{"check_id": cid, "check_name": cid, "resource": (f"aws_s3_bucket.{n}" if cid.startswith("CKV_") else f"resource.{n}")}
          for n in config.get("resource", {}).get("aws_s3_bucket", {}) for cid in ("CKV_AWS_1", "CKV2_AWS_62")]
print(json.dumps({"summary": {"parsing_errors": 0}, "results": {"passed_checks": [{}, {}], "failed_checks": failed, "skipped_checks": []}}))
`;

function run(stack: Record<string, unknown>): { status: number | null; out: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-checkov-'));
  try {
    const stub = path.join(dir, 'checkov');
    fs.writeFileSync(stub, STUB, { mode: 0o755 });
    fs.mkdirSync(path.join(dir, 'stacks', 'demo'), { recursive: true });
    const file = path.join(dir, 'stacks', 'demo', 'cdk.tf.json');
    fs.writeFileSync(file, JSON.stringify(stack));
    const r = spawnSync('python3', [SCAN, stub, file], { encoding: 'utf8' });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const bucket = (skip?: { id: string; comment: string }[]) => ({ bucket: 'b', '//': { metadata: { path: 'demo/b' }, ...(skip ? { checkov: { skip } } : {}) } });

describe('checkov-scan.py', () => {
  test('fails on checks no skip covers, naming the check, the resource and its construct path', () => {
    const r = run({ terraform: { required_version: '>= 1.5' }, resource: { aws_s3_bucket: { b: bucket() } } });
    expect(r.status).toBe(1);
    expect(r.out).toContain('FAILED demo: CKV_AWS_1 CKV_AWS_1 -> aws_s3_bucket.b (demo/b)');
    expect(r.out).toMatch(/demo\s+2\s+2\s+0\s+2\n/);
  });

  test('applies the skips declared in the JSON (graph and resource checks) and passes', () => {
    const r = run({
      terraform: { required_version: '>= 1.5' },
      resource: { aws_s3_bucket: { b: bucket([{ id: 'CKV_AWS_1', comment: 'not applicable here' }, { id: 'CKV2_AWS_62', comment: 'no event consumers' }]) } },
    });
    expect(r.out).toMatch(/demo\s+2\s+0\s+2\s+2\n/);
    expect(r.out).toContain('checkov: no failed checks');
    expect(r.status).toBe(0);
  });

  test('a skip without a reason is an error', () => {
    const r = run({ resource: { aws_s3_bucket: { b: bucket([{ id: 'CKV_AWS_1', comment: '' }, { id: 'CKV2_AWS_62', comment: 'ok reason' }]) } } });
    expect(r.status).toBe(1);
    expect(r.out).toContain('ERROR demo: aws_s3_bucket.b skips CKV_AWS_1 without a reason');
  });
});
