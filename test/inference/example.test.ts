// The example platform's two endpoints on each cloud: the trained model on the bundled server and an
// open-weights model on vLLM, on the cluster's serving pool, every object schema-valid.
import { Testing } from 'cdktf';
import { buildPlatformApp } from '../../examples/platform/platform';
import { manifestsOf, restrictedPssProblems } from '../k8s/validate';
import { validateAll } from './crds';
import { byKind, Json } from './helpers';

describe.each(buildPlatformApp(Testing.app()).map((p) => [p.node.id, p] as const))('%s', (_id, platform) => {
  test('chat serves the pretraining job\'s best checkpoint on the bundled server image', () => {
    const objects = manifestsOf(platform.chat.workload);
    expect(() => validateAll(objects)).not.toThrow();
    const deploy = byKind(objects, 'Deployment', platform.chat.name);
    const env = Object.fromEntries(deploy.spec.template.spec.containers[0].env.map((e: Json) => [e.name, e.value]));
    expect(`${env.AIINFRA_MODEL_URI}/`).toBe(`${platform.models.uri}/${platform.pretrain.checkpointPrefix}`);
    expect(env.AIINFRA_MODEL_SELECT).toBe('best');
    expect(deploy.spec.template.spec.containers[0].image).toMatch(/__AIINFRA_TF_PLACEHOLDER_\d+__/);
    expect(restrictedPssProblems(deploy.spec.template.spec)).toEqual([]);
    expect(platform.chat.pool.name).toBe('serve');
    expect(byKind(objects, 'ScaledObject').spec.minReplicaCount).toBe(2);
  });

  test('llm runs vLLM, copies its model in, and idles at zero outside its schedule', () => {
    const objects = manifestsOf(platform.llm.workload);
    expect(() => validateAll(objects)).not.toThrow();
    const pod = byKind(objects, 'Deployment', platform.llm.name).spec.template.spec;
    expect(pod.containers[0].image).toMatch(/^vllm\/vllm-openai:v/);
    expect(pod.initContainers.map((c: Json) => c.name)).toEqual(['fetch-model']);
    const so = byKind(objects, 'ScaledObject');
    expect(so.spec.minReplicaCount).toBe(0);
    expect(so.spec.triggers.map((t: Json) => t.type)).toEqual(['prometheus', 'cron']);
    expect(platform.llm.pool.name).toBe('serve');
  });

  test('both endpoints are watched by the platform\'s monitoring stack', () => {
    const rules = JSON.stringify(manifestsOf(platform.monitoring));
    expect(rules).toContain(platform.chat.name);
    expect(rules).toContain(platform.llm.name);
  });
});
