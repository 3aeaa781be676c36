import { Testing } from 'cdktf';
import * as fs from 'fs';
import * as path from 'path';
import { PolicyPack } from '../../src';
import { QuickstartPlatform } from '../../examples/quickstart/main';

describe('README quickstart', () => {
  test('the README shows examples/quickstart/main.ts verbatim (so the README example typechecks and synthesizes)', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const block = /## A stack file\n\n```ts\n([\s\S]*?)```/.exec(readme);
    expect(block).not.toBeNull();
    expect(block![1]).toBe(fs.readFileSync(path.join(__dirname, '..', '..', 'examples', 'quickstart', 'main.ts'), 'utf8'));
  });

  test('synthesizes the whole platform and passes the policy pack with no error', () => {
    const stack = new QuickstartPlatform(Testing.app(), 'platform-gcp');
    const json = JSON.parse(Testing.synth(stack, true));
    expect(Object.keys(json.resource)).toEqual(expect.arrayContaining([
      'google_storage_bucket', 'google_container_cluster', 'google_container_node_pool', 'helm_release',
    ]));
    expect(PolicyPack.errors(stack)).toEqual([]);
  });
});
