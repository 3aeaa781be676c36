// vLLM for every model: the default runtime rule, trainer checkpoints served through their export, quantization
// checked against the GPU, the weights streamed from the bucket (AWS, GCP) or copied (Azure), and LoRA adapters.
import { Gpu } from '../../src/core/gpu';
import { InvalidPropError } from '../../src/core/errors';
import { loraAdapter, LoraAdapterSource } from '../../src/inference/lora';
import { InferenceEndpointProps } from '../../src/inference/types';
import { ModelBackupBucket } from '../../src/backup/model-backup-bucket';
import { restrictedPssProblems } from '../k8s/validate';
import { build, Built, byKind, CLOUDS, CloudName, endpointObjects, Json, resources, synthJson } from './helpers';

const podOf = (b: Built): Json => byKind(endpointObjects(b), 'Deployment').spec.template.spec;
const argOf = (args: string[], flag: string): string | undefined => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const envOf = (c: Json): Json => Object.fromEntries(c.env.map((e: Json) => [e.name, e.value]));
const warnings = (b: Built): string[] =>
  b.stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data)));

function invalid(cloud: CloudName, props: (b: { models: ModelBackupBucket }) => Partial<InferenceEndpointProps>, prop: string, allowed: RegExp): InvalidPropError {
  let error: unknown;
  try {
    build(cloud, props);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InvalidPropError);
  const e = error as InvalidPropError;
  expect(e.constructPath).toBe('platform/chat');
  expect(e.prop).toBe(prop);
  expect(e.message).toMatch(allowed);
  return e;
}

describe('the default runtime', () => {
  test('vLLM for a bucket model, trainer checkpoints included', () => {
    expect(build('aws', ({ models }) => ({ runtime: undefined, image: undefined, model: models.model('llm/llama-8b', { parameterCount: 8_030_000_000 }) })).endpoint.runtime).toBe('vllm');
    expect(build('aws', ({ models }) => ({ runtime: undefined, image: undefined, model: models.model('research/gpt-1b', { preset: 'gpt-1b' }) })).endpoint.runtime).toBe('vllm');
    // Unknown size: vLLM too.
    expect(build('gcp', ({ models }) => ({ runtime: undefined, image: undefined, model: models.model('llm/some-model') })).endpoint.runtime).toBe('vllm');
  });

  test('builtin for int8, a tiny model and a model baked into an image', () => {
    expect(build('aws', () => ({ runtime: undefined, quantization: 'int8' })).endpoint.runtime).toBe('builtin');
    expect(build('aws', ({ models }) => ({ runtime: undefined, model: models.model('research/gpt-tiny', { preset: 'gpt-tiny' }) })).endpoint.runtime).toBe('builtin');
    expect(build('aws', () => ({ runtime: undefined, model: { image: 'ghcr.io/acme/chat:1.0.0', modelPath: '/model' } })).endpoint.runtime).toBe('builtin');
    // 50M is the line: gpt-125m gets vLLM.
    expect(build('aws', ({ models }) => ({ runtime: undefined, image: undefined, model: models.model('research/gpt-125m', { preset: 'gpt-125m' }) })).endpoint.runtime).toBe('vllm');
  });

  test('a surprising explicit choice is a warning: builtin for a 1B+ model, vLLM for a tiny one', () => {
    const slow = build('aws', () => ({ runtime: 'builtin' }));
    expect(warnings(slow).join('\n')).toMatch(/runtime "builtin" serves a 1\.21B-parameter model in eager mode/);
    const tiny = build('aws', ({ models }) => ({ runtime: 'vllm', image: undefined, model: models.model('research/gpt-tiny', { preset: 'gpt-tiny' }) }));
    expect(warnings(tiny).join('\n')).toMatch(/runtime "vllm" for a 16\.3M-parameter model/);
    const fine = build('aws', ({ models }) => ({ runtime: undefined, image: undefined, model: models.model('llm/llama-8b', { parameterCount: 8_030_000_000 }) }));
    expect(warnings(fine).join('\n')).not.toMatch(/runtime "/);
  });
});

describe.each(Object.keys(CLOUDS) as CloudName[])('a trainer checkpoint on vLLM (%s)', (cloud) => {
  const b = build(cloud, ({ models }) => ({ runtime: 'vllm', image: undefined, model: models.model('research/gpt-1b', { preset: 'gpt-1b', select: 'newest' }) }));
  const pod = podOf(b);
  const root = `${b.models.uri}/research/gpt-1b`;
  const server = pod.containers[0];

  test('an export init step in the trainer image writes <checkpoint>/hf once (skips an export of the same checkpoint, replaces another)', () => {
    const exp = pod.initContainers[0];
    expect(exp.name).toBe('export-model');
    expect(exp.image).toMatch(/__AIINFRA_TF_PLACEHOLDER_\d+__/);
    expect(exp.command[0]).toBe('/bin/sh');
    expect(exp.command[2]).toBe('python -m aiinfra.export "$@" || { echo "export: replacing the export of another checkpoint" >&2; exec python -m aiinfra.export "$@" --force; }');
    expect(exp.args).toEqual(['--checkpoint', root, '--output', `${root}/hf`, '--select', 'newest', '--dtype', 'bf16']);
    for (const [k, v] of Object.entries(b.models.clientEnvironment)) expect(envOf(exp)[k]).toBe(v);
    expect(exp.volumeMounts).toEqual([{ name: 'export-scratch', mountPath: '/tmp' }]);
    // fp32 state of 1.14B parameters x 6 bytes + 2 GiB.
    expect(exp.resources).toEqual({ requests: { cpu: '2', memory: '9Gi' }, limits: { memory: '9Gi' } });
    expect(restrictedPssProblems(pod)).toEqual([]);
  });

  test('vLLM serves the export: streamed from the bucket on AWS and GCP, copied after the export on Azure', () => {
    const model = argOf(server.args, '--model');
    if (cloud === 'azure') {
      expect(pod.initContainers.map((c: Json) => c.name)).toEqual(['export-model', 'fetch-model']);
      expect(model).toBe('/models/model');
      expect(envOf(pod.initContainers[1]).MODEL_PATH).toBe('research/gpt-1b/hf');
    } else {
      expect(pod.initContainers.map((c: Json) => c.name)).toEqual(['export-model']);
      expect(model).toBe(`${root}/hf`);
      expect(argOf(server.args, '--load-format')).toBe('runai_streamer');
    }
    expect(argOf(server.args, '--served-model-name')).toBe('gpt-1b');
  });

  test('the identity reads the checkpoint and may write only its hf/ export', () => {
    const json = synthJson(b.stack);
    const write = JSON.stringify({
      aws: resources(json, 'aws_iam_role_policy', 'WriteGrant'),
      gcp: resources(json, 'google_storage_bucket_iam_member', 'WriteGrant'),
      azure: resources(json, 'azurerm_role_assignment', 'WriteGrant'),
    }[cloud]);
    expect(write).toContain('research/gpt-1b/hf/');
    expect(write).not.toMatch(/research\/gpt-1b\/\*|research\/gpt-1b\/"/);
  });

  test('the release waits for the trainer image push', () => {
    const json = synthJson(b.stack);
    const release = resources(json, 'helm_release').find((r) => r.name === b.endpoint.name) as Json;
    expect(release.depends_on.some((d: string) => /trainer/i.test(d))).toBe(true);
  });
});

describe('quantization is checked against the GPU', () => {
  test('fp8 needs compute capability 8.9 (L4, L40S, H100): an A10G is refused with the GPUs that can', () => {
    invalid('azure', () => ({ runtime: 'vllm', quantization: 'fp8' }), 'quantization',
      /fp8 needs compute capability 8\.9\+ in vLLM and a10g has 8\.6: use a GPU such as h100-80gb, l40s, l4/);
    expect(build('aws', () => ({ runtime: 'vllm', quantization: 'fp8' })).endpoint.quantization).toBe('fp8');
    expect(Gpu.L4.computeCapability).toBe(8.9);
  });

  test('AWQ and GPTQ compute in fp16/bf16; a trainer checkpoint is never AWQ/GPTQ', () => {
    invalid('aws', () => ({ runtime: 'vllm', quantization: 'gptq', precision: 'fp32' }), 'quantization', /gptq computes in fp16 or bf16/);
    expect(build('aws', () => ({ runtime: 'vllm', quantization: 'awq' })).endpoint.quantization).toBe('awq');
    invalid('gcp', ({ models }) => ({ runtime: 'vllm', quantization: 'gptq', model: models.model('research/gpt-1b', { preset: 'gpt-1b' }) }), 'quantization',
      /none or fp8 for the trainer checkpoint model/);
  });
});

describe.each(Object.keys(CLOUDS) as CloudName[])('LoRA adapters (%s)', (cloud) => {
  const adapters = (models: ModelBackupBucket, base = models.model('research/gpt-1b', { parameterCount: 1_210_000_000 })) => [
    { name: 'support', adapter: loraAdapter(models, 'adapters/support', { rank: 8, base }) },
    { name: 'legal-v2', adapter: loraAdapter(models, '/adapters/legal-v2/', { rank: 48 }) },
  ];
  const b = build(cloud, ({ models }) => ({ runtime: 'vllm', image: undefined, adapters: adapters(models) }));
  const pod = podOf(b);
  const server = pod.containers[0];

  test('vLLM serves them by name: --enable-lora, the smallest allowed max rank that holds every adapter, one module per adapter', () => {
    const args: string[] = server.args;
    expect(args).toContain('--enable-lora');
    expect(argOf(args, '--max-lora-rank')).toBe('64');
    expect(argOf(args, '--max-loras')).toBe('2');
    expect(argOf(args, '--max-cpu-loras')).toBe('2');
    const at = args.indexOf('--lora-modules');
    expect(args.slice(at + 1, at + 3)).toEqual(['support=/adapters/support', 'legal-v2=/adapters/legal-v2']);
  });

  test('init containers copy each adapter into a shared volume the server mounts read-only', () => {
    const fetches = pod.initContainers.filter((c: Json) => c.name.startsWith('fetch-adapter-'));
    expect(fetches.map((c: Json) => c.name)).toEqual(['fetch-adapter-0', 'fetch-adapter-1']);
    for (const f of fetches) expect(f.volumeMounts).toContainEqual({ name: 'adapters', mountPath: '/adapters' });
    expect(server.volumeMounts).toContainEqual({ name: 'adapters', mountPath: '/adapters', readOnly: true });
    expect(pod.volumes.find((v: Json) => v.name === 'adapters').emptyDir).toEqual({ sizeLimit: '4Gi' });
    expect(restrictedPssProblems(pod)).toEqual([]);
  });

  test('the identity reads each adapter prefix', () => {
    const json = synthJson(b.stack);
    const read = JSON.stringify({
      aws: resources(json, 'aws_iam_role_policy', 'ReadGrant'),
      gcp: resources(json, 'google_storage_bucket_iam_member', 'ReadGrant'),
      azure: resources(json, 'azurerm_role_assignment', 'ReadGrant'),
    }[cloud]);
    expect(read).toContain('adapters/support/');
    expect(read).toContain('adapters/legal-v2/');
  });
});

describe.each(Object.keys(CLOUDS) as CloudName[])('a fine-tuning job\'s adapter (job.adapter() shape) on %s', (cloud) => {
  const b = build(cloud, ({ models }) => ({
    runtime: 'vllm', image: undefined,
    adapters: [{
      name: 'sft', adapter: {
        store: models, path: 'research/sft', uri: `${models.uri}/research/sft`, rank: 32, adapterDir: 'adapter', select: 'newest',
        base: models.model('research/gpt-1b'),
      },
    }],
  }));
  const pod = podOf(b);

  test('the trainer image picks the step, checks the manifest hashes and writes the adapter (aiinfra.fetch_adapter)', () => {
    const init = pod.initContainers.find((c: Json) => c.name === 'fetch-adapter-0');
    expect(init.image).toMatch(/__AIINFRA_TF_PLACEHOLDER_\d+__/);
    expect(init.command).toEqual(['python', '-m', 'aiinfra.fetch_adapter']);
    expect(init.args).toEqual(['--checkpoint', `${b.models.uri}/research/sft`, '--select', 'newest', '--subdir', 'adapter', '--dest', '/adapters/sft']);
    expect(init.volumeMounts).toContainEqual({ name: 'adapters', mountPath: '/adapters' });
    for (const [k, v] of Object.entries(b.models.clientEnvironment)) expect(envOf(init)[k]).toBe(v);
    expect(argOf(pod.containers[0].args, '--max-lora-rank')).toBe('32');
    expect(restrictedPssProblems(pod)).toEqual([]);
  });

  test('the release waits for the trainer image; the identity reads the job\'s checkpoint prefix', () => {
    const json = synthJson(b.stack);
    const release = resources(json, 'helm_release').find((r) => r.name === b.endpoint.name) as Json;
    expect(release.depends_on.some((d: string) => /trainer/i.test(d))).toBe(true);
    const read = JSON.stringify({
      aws: resources(json, 'aws_iam_role_policy', 'ReadGrant'),
      gcp: resources(json, 'google_storage_bucket_iam_member', 'ReadGrant'),
      azure: resources(json, 'azurerm_role_assignment', 'ReadGrant'),
    }[cloud]);
    expect(read).toContain('research/sft/');
  });
});

describe('bad adapters fail at synth, naming the adapter', () => {
  const one = (models: ModelBackupBucket, over: Partial<LoraAdapterSource> = {}, name = 'support') =>
    [{ name, adapter: { ...loraAdapter(models, 'adapters/support', { rank: 16 }), ...over } }];

  test('only on vLLM', () => {
    invalid('aws', ({ models }) => ({ runtime: 'builtin', adapters: one(models) }), 'adapters', /none with runtime "builtin": LoRA adapters are served by runtime "vllm"/);
  });

  test('ranks within vLLM\'s allowed max ranks', () => {
    for (const rank of [0, 513, 2.5]) {
      invalid('aws', ({ models }) => ({ runtime: 'vllm', adapters: one(models, { rank }) }), 'adapters[0].adapter.rank',
        /an integer from 1 to 512 \(vLLM's --max-lora-rank is one of 8, 16, 32, 64, 128, 256, 320, 512\)/);
    }
  });

  test('unique names, usable as an OpenAI model name, not the base model\'s', () => {
    invalid('aws', ({ models }) => ({ runtime: 'vllm', adapters: [...one(models), ...one(models)] }), 'adapters[1].name', /a name no other adapter of the endpoint has/);
    invalid('aws', ({ models }) => ({ runtime: 'vllm', adapters: one(models, {}, 'has space') }), 'adapters[0].name', /letters, digits/);
    invalid('aws', ({ models }) => ({ runtime: 'vllm', adapters: one(models, {}, 'gpt-1b') }), 'adapters[0].name', /other than the base model's served name \(gpt-1b\)/);
  });

  test('the base model must be the endpoint\'s', () => {
    invalid('gcp', ({ models }) => ({ runtime: 'vllm', adapters: one(models, { base: models.model('llm/other') }) }), 'adapters[0].adapter.base',
      /the model the endpoint serves \(model: gs:\/\/.*research\/gpt-1b\): an adapter applies only to the weights it was trained on/);
  });

  test('at most 32, from a store of the cluster\'s cloud', () => {
    invalid('aws', ({ models }) => ({
      runtime: 'vllm', adapters: Array.from({ length: 33 }, (_, i) => ({ name: `a${i}`, adapter: loraAdapter(models, `adapters/a${i}`, { rank: 8 }) })),
    }), 'adapters', /at most 32: vLLM keeps every adapter in its CPU LoRA cache/);
  });

  test('a fine-tuning job\'s adapter folder must be a plain relative path', () => {
    invalid('aws', ({ models }) => ({ runtime: 'vllm', adapters: one(models, { adapterDir: '../../secrets' }) }), 'adapters[0].adapter.adapterDir', /no '.' or '..'/);
  });
});
