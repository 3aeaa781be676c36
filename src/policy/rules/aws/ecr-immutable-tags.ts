import { terraformRule } from '../../rule';

/** AI-AWS-ECR-1: image tags cannot be overwritten. */
export const EcrImmutableTags = terraformRule({
  id: 'AI-AWS-ECR-1',
  severity: 'error',
  title: 'ECR repository tags immutable',
  rationale: 'A mutable tag lets anyone with push rights swap the trainer or server image under a running deployment; our tags are content hashes and must never move.',
  remediation: 'Set image_tag_mutability = "IMMUTABLE" on the aws_ecr_repository.',
  checkov: ['CKV_AWS_51'],
  resourceTypes: ['aws_ecr_repository'],
  check(repo) {
    const m = repo.attrs.image_tag_mutability;
    return typeof m === 'string' && m.startsWith('IMMUTABLE') ? undefined : `image_tag_mutability is ${JSON.stringify(m ?? 'MUTABLE (default)')}`;
  },
});
