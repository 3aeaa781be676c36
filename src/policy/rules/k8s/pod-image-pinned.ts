import { isPlaceholder, perContainer, WORKLOAD_KINDS } from '../../k8s-util';
import { kubernetesRule } from '../../rule';

/** AI-K8S-POD-10: images are pinned (digest or an explicit non-latest tag). */
export const PodImagePinned = kubernetesRule({
  id: 'AI-K8S-POD-10',
  severity: 'error',
  title: 'Container images pinned by digest or explicit tag (not latest)',
  rationale: 'latest (or no tag) changes under a running workload: pods of one Deployment run different code, rollbacks do nothing.',
  remediation: 'Use the content-hash tag the library builds, or image@sha256:<digest>.',
  constructFix: 'the image prop of InferenceEndpoint, TrainingJob or RestoreDrill: an explicit tag (not latest) or a digest',
  checkov: ['CKV_K8S_14', 'CKV_K8S_43'],
  kinds: WORKLOAD_KINDS,
  check(o) {
    return perContainer(o, (c) => {
      const image = c.image;
      if (typeof image !== 'string' || image.length === 0) return 'no image';
      if (isPlaceholder(image) || image.includes('@sha256:')) return undefined;
      const last = image.split('/').pop() ?? image;
      if (!last.includes(':')) return `image ${image} has no tag`;
      return last.endsWith(':latest') ? `image ${image} uses latest` : undefined;
    });
  },
});
