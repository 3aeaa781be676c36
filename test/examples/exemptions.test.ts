// Issue 21 item 4: no exemption is silent. The platform summary (PLATFORM.md, printed by the fast synth) lists
// every checkov skip and every policy suppression or acknowledgement of the stack, with its reason and where.
import { App, TerraformStack } from 'cdktf';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { buildPlatformApp } from '../../examples/platform/platform';
import { platformFacts } from '../../src/summary';
import { renderSummaryText } from '../../src/summary/render';
import { Policy } from '../../src/policy/suppress';
import { readTree } from '../read-tree';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('the platform summary lists every active exemption', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiinfra-exemptions-'));
  let files: Map<string, string>;
  beforeAll(() => {
    const app = new App({ outdir: dir, skipValidation: true, stackTraces: false });
    buildPlatformApp(app);
    app.synth();
    files = readTree(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each(['platform-aws', 'platform-gcp', 'platform-azure'])('%s: each checkov skip and suppression of cdk.tf.json is in PLATFORM.md', (stack) => {
    const config: Json = JSON.parse(files.get(`stacks/${stack}/cdk.tf.json`)!);
    const summary = files.get(`stacks/${stack}/PLATFORM.md`)!.replace(/\s+/g, ' ');
    const skips: [string, string, string][] = [];
    for (const byName of Object.values(config.resource as Record<string, Record<string, Json>>)) {
      for (const body of Object.values(byName)) {
        for (const s of body['//']?.checkov?.skip ?? []) skips.push([s.id, body['//'].metadata.path, s.comment]);
      }
    }
    expect(skips.length).toBeGreaterThan(0);
    for (const [id, where, reason] of skips) {
      const line = new RegExp(`checkov skip ${id} on [^:]*\\b${where.split('/').slice(1).join('/').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`);
      expect({ id, where, listed: line.test(summary) }).toEqual({ id, where, listed: true });
      expect(summary).toContain(reason.replace(/\s+/g, ' '));
    }
    for (const s of config['//'].policy?.suppressions ?? []) {
      expect({ rule: s.rule, listed: summary.includes(`suppressed ${s.rule} on `) && summary.includes(s.reason.replace(/\s+/g, ' ')) })
        .toEqual({ rule: s.rule, listed: true });
    }
  });

  test('a fixture: a suppression and a checkov skip show up with their reasons; none reads "none"', () => {
    const app = new App({ skipValidation: true, outdir: path.join(dir, 'fixture') });
    const stack = new TerraformStack(app, 'fixture');
    const bucket = new S3Bucket(stack, 'Logs', { bucket: 'logs' });
    const facts = () => renderSummaryText(platformFacts(stack));
    expect(facts()).toMatch(/exemptions\s+none/);
    Policy.suppress(bucket, 'AI-AWS-S3-9', 'the log target bucket does not log into itself');
    Policy.skipCheckov(stack, ['CKV_AWS_18'], 'the log target bucket does not log into itself either');
    app.synth(); // runs the aspect that records the skip
    expect(facts()).toContain('checkov skip CKV_AWS_18 on Logs: the log target bucket does not log into itself either');
    expect(facts()).toContain('suppressed AI-AWS-S3-9 on Logs: the log target bucket does not log into itself');
  });
});
