import { terraformRule } from '../../rule';
import { attached } from '../../util';

/** AI-AWS-ECR-4: repositories expire old images. */
export const EcrLifecycle = terraformRule({
  id: 'AI-AWS-ECR-4',
  severity: 'warning',
  title: 'ECR repository has a lifecycle policy',
  rationale: 'Every content-hash build of a multi-GB CUDA image is kept forever without one, and old images keep their old CVEs pullable.',
  remediation: 'Add an aws_ecr_lifecycle_policy that expires untagged images and keeps the last N tagged ones.',
  resourceTypes: ['aws_ecr_repository'],
  check(repo, ctx) {
    return attached(ctx, 'aws_ecr_lifecycle_policy', repo, 'repository', 'name').length > 0 ? undefined : 'no aws_ecr_lifecycle_policy';
  },
});
