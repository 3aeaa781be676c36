// The example platform's two endpoints on each cloud: the trained model (the pipeline's registry on AWS and GCP) and an open-weights model with a LoRA
// adapter, both on vLLM, on the cluster's serving pool, every object schema-valid.
import { Testing } from 'cdktf';
import { buildPlatformApp } from '../../examples/platform/platform';
import { manifestsOf, restrictedPssProblems } from '../k8s/validate';
import { validateAll } from './crds';
import { byKind, Json } from './helpers';

describe.each(buildPlatformApp(Testing.app()).map((p) => [p.node.id, p] as const))('%s', (_id, platform) => {
  test('chat on vLLM: on AWS and GCP the model pipeline\'s production alias (registry, resolved and exported in the pod); on Azure the pretraining job\'s best checkpoint through its export', () => {
    const objects = manifestsOf(platform.chat.workload);
    expect(() => validateAll(objects)).not.toThrow();
    const deploy = byKind(objects, 'Deployment', platform.chat.name);
    const pod = deploy.spec.template.spec;
    expect(platform.chat.runtime).toBe('vllm');
    expect(pod.containers[0].image).toMatch(/^vllm\/vllm-openai:v/);
    const args: string[] = pod.containers[0].args;
    const served = args[args.indexOf('--model') + 1];
    expect(served).toBe('/models/model');
    if (platform.chat.cloud.kind === 'azure') {
      const root = `${platform.models.uri}/${(platform.pretrain.checkpointPrefix ?? '').replace(/\/$/, '')}`;
      const exp = pod.initContainers[0];
      expect(exp.name).toBe('export-model');
      // The trainer image (it carries compute/ and aiinfra.export), built and pushed by the stack.
      expect(exp.image).toMatch(/__AIINFRA_TF_PLACEHOLDER_\d+__/);
      expect(exp.args).toEqual(['--checkpoint', root, '--output', `${root}/hf`, '--select', 'best', '--dtype', 'bf16']);
      expect(pod.initContainers.map((c: Json) => c.name)).toEqual(['export-model', 'fetch-model']);
    } else {
      // A promotion is runtime data: the pod reads the version from its annotation (a canary) or the alias.
      const resolve = pod.initContainers[0];
      expect(pod.initContainers.map((c: Json) => c.name)).toEqual(['resolve-model']);
      expect(resolve.image).toMatch(/__AIINFRA_TF_PLACEHOLDER_\d+__/);
      expect(resolve.command.join(' ')).toContain('python -m aiinfra.registry --root "$AIINFRA_REGISTRY_ROOT" resolve');
      const env = Object.fromEntries(resolve.env.map((e: Json) => [e.name, e]));
      expect(env.AIINFRA_REGISTRY_ROOT.value).toBe(`${platform.models.uri}/research/models/chat-model`);
      expect(env.AIINFRA_REGISTRY_ALIAS.value).toBe('production');
      expect(env.AIINFRA_MODEL_VERSION.valueFrom.fieldRef.fieldPath).toBe("metadata.annotations['ai-infra.dev/model-version']");
    }
    expect(restrictedPssProblems(pod)).toEqual([]);
    expect(platform.chat.pool.name).toBe('serve');
    expect(byKind(objects, 'ScaledObject').spec.minReplicaCount).toBe(2);
  });

  test('llm runs vLLM with a LoRA adapter, loads its model (streamed, or copied on Azure), and idles at zero outside its schedule behind the activator (two replicas on Azure)', () => {
    const objects = manifestsOf(platform.llm.workload);
    expect(() => validateAll(objects)).not.toThrow();
    const pod = byKind(objects, 'Deployment', platform.llm.name).spec.template.spec;
    expect(pod.containers[0].image).toMatch(/^vllm\/vllm-openai:v/);
    expect(pod.initContainers.map((c: Json) => c.name)).toEqual(
      platform.llm.cloud.kind === 'azure' ? ['fetch-model', 'fetch-adapter-0'] : ['fetch-adapter-0']);
    expect(pod.containers[0].args).toEqual(expect.arrayContaining(['--enable-lora', '--lora-modules', 'llama-support=/adapters/llama-support']));
    const so = byKind(objects, 'ScaledObject');
    if (platform.llm.cloud.kind === 'azure') {
      expect(so.spec.minReplicaCount).toBe(2);
      expect(so.spec.triggers.map((t: Json) => t.type)).toEqual(['prometheus']);
      expect(platform.llm.activator).toBeUndefined();
    } else {
      expect(so.spec.minReplicaCount).toBe(0);
      // The activator's request trigger wakes it; queue depth scales it out; the window holds two replicas.
      expect(so.spec.triggers.map((t: Json) => t.type)).toEqual(['external-push', 'prometheus', 'cron']);
      expect(byKind(objects, 'InterceptorRoute').spec.coldStart.fallback.service.name).toBe(`${platform.llm.name}-cold-start`);
      expect(byKind(objects, 'HTTPRoute').spec.rules[0].backendRefs[0]).toMatchObject({ name: 'keda-add-ons-http-interceptor-proxy', namespace: 'keda' });
    }
    expect(platform.llm.pool.name).toBe('serve');
  });

  test('both endpoints are watched by the platform\'s monitoring stack', () => {
    const rules = JSON.stringify(manifestsOf(platform.monitoring));
    expect(rules).toContain(platform.chat.name);
    expect(rules).toContain(platform.llm.name);
  });
});
