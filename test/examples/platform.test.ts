import { App, Testing } from 'cdktf';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildPlatformApp } from '../../examples/platform/platform';
import { buildContextHash } from '../../src/core/image-build';
import { packageRoot } from '../../src/core/package-root';
import { readTree } from '../read-tree';

/**
 * The bundled images are tagged with the content hash of compute/ and their Dockerfile (stable across
 * machines: test/training/image.test.ts). In the snapshots that hash is a named placeholder, so a change of the
 * Python compute core rewrites only the training Job charts' asset hashes (a Job's name carries its image's
 * content hash: issue 15 item 9); everything else is compared as is.
 */
function withoutImageContentHashes(synth: string): string {
  const root = packageRoot();
  let out = synth;
  for (const name of ['trainer', 'server']) {
    const dockerfile = path.join(root, 'images', name, 'Dockerfile');
    if (!fs.existsSync(dockerfile)) continue;
    const hash = buildContextHash(path.join(root, 'compute'), dockerfile);
    for (const length of [64, 32, 20]) out = out.split(hash.slice(0, length)).join(`<${name}-context-sha256-${length}>`);
  }
  return out;
}


/** Synthesizes the example app into a fresh directory, from that directory as working directory. */
function synthIn(workdir: string): Map<string, string> {
  const previous = process.cwd();
  process.chdir(workdir);
  try {
    const app = new App({ outdir: path.join(workdir, 'out'), skipValidation: true, stackTraces: false });
    buildPlatformApp(app);
    app.synth();
  } finally {
    process.chdir(previous);
  }
  return readTree(path.join(workdir, 'out'));
}

describe('example platform', () => {
  const stacks = buildPlatformApp(Testing.app());

  test.each(stacks.map((s) => [s.node.id, s] as const))('%s matches its snapshot', (_id, stack) => {
    expect(JSON.parse(withoutImageContentHashes(Testing.synth(stack)))).toMatchSnapshot();
  });

  test('the app has the three platform stacks', () => {
    expect(stacks.map((s) => s.node.id)).toEqual(['platform-aws', 'platform-gcp', 'platform-azure']);
  });

  test('synth is byte-identical across runs and working directories, with no machine paths', () => {
    const a = fs.mkdtempSync(path.join(os.tmpdir(), 'aiinfra-synth-a-'));
    const b = fs.mkdtempSync(path.join(os.tmpdir(), 'aiinfra-nested-'));
    const bDeeper = path.join(b, 'some', 'where', 'else');
    fs.mkdirSync(bDeeper, { recursive: true });
    try {
      const first = synthIn(a);
      const second = synthIn(bDeeper);
      expect([...first.keys()]).toEqual([...second.keys()]);
      expect([...first.keys()].filter((f) => f.endsWith('cdk.tf.json')).sort()).toEqual(
        ['stacks/platform-aws/cdk.tf.json', 'stacks/platform-azure/cdk.tf.json', 'stacks/platform-gcp/cdk.tf.json']);
      expect(first.has('manifest.json')).toBe(true);
      for (const [file, content] of first) {
        expect({ file, content }).toEqual({ file, content: second.get(file) });
        // (the synth directories lie under os.tmpdir(); '/tmp' itself is a legitimate container path in
        // Dockerfiles and pod specs, so only the concrete machine directories are looked for)
        for (const machinePath of [a, bDeeper, process.cwd(), os.homedir()]) {
          expect({ file, hasMachinePath: content.includes(machinePath) }).toEqual({ file, hasMachinePath: false });
        }
      }
    } finally {
      fs.rmSync(a, { recursive: true, force: true });
      fs.rmSync(b, { recursive: true, force: true });
    }
  });

  test('each stack has a PLATFORM.md: summary, cost, warnings and a Mermaid diagram of the platform', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiinfra-platform-md-'));
    try {
      const tree = synthIn(dir);
      for (const id of ['platform-aws', 'platform-gcp', 'platform-azure']) {
        const md = tree.get(`stacks/${id}/PLATFORM.md`)!;
        expect(md).toMatchSnapshot(id);
        expect(md).toContain(`stack ${id}`);
        expect(md).toMatch(/gpu pools {3}train\/h100-80gb: h100-80gb x8 \([^)]+\), 0-2 nodes, on-demand -> spot/);
        expect(md).toContain('tenants     research: 16 GPUs');
        expect(md).toMatch(/jobs {8}train\/pretrain: 16 GPUs on h100-80gb in research, checkpoints to models/);
        expect(md).toMatch(/endpoints {3}chat: vllm on serve, 2-4 replicas/);
        expect(md).toMatch(/cost\/month {2}\$73\.00 min \(pools at minNodes\) \/ \$[\d,]+\.\d\d max/);
        const mermaid = md.slice(md.indexOf('```mermaid'));
        expect(mermaid).toContain(`subgraph c_${id.replace(/-/g, '_')}_train["cluster train"]`);
        // train -> checkpoint -> serve, and the alert route
        expect(mermaid).toContain(`j_${id.replace(/-/g, '_')}_train_pretrain -->|checkpoint| b_${id.replace(/-/g, '_')}_models`);
        const n = id.replace(/-/g, '_');
        if (id === 'platform-azure') {
          // No canary on Azure's chat: it serves the pretrained checkpoint, and the pipeline deploys to no endpoint.
          expect(mermaid).toContain(`b_${n}_models -->|serve research/checkpoints/pretrain| e_${n}_chat`);
          expect(mermaid).toContain(`j_${n}_train_pretrain -.->|trained model| e_${n}_chat`);
          expect(mermaid).not.toContain(`pl_${n}_train_chat_model -.->|canary|`);
        } else {
          // The pipeline's registry (inside the research prefix) is what chat serves; accepted versions go through its canary.
          expect(mermaid).toContain(`b_${n}_models -->|serve research/models/chat-model| e_${n}_chat`);
          expect(mermaid).toContain(`pl_${n}_train_chat_model -.->|canary| e_${n}_chat`);
        }
        expect(mermaid).toContain(`m_${id.replace(/-/g, '_')}_obs -->|critical| r_ml_oncall`);
        expect(md).not.toMatch(/\$\{|TfToken|TOKEN\[/); // no unresolved tokens
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
