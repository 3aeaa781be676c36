import { terraformRule } from '../../rule';
import { dig, isOn } from '../../util';

/** AI-AWS-ECR-2: images are scanned for vulnerabilities when pushed. */
export const EcrScanOnPush = terraformRule({
  id: 'AI-AWS-ECR-2',
  severity: 'error',
  title: 'ECR repository scans images on push',
  rationale: 'CUDA and Python base images carry many CVEs; scanning on push surfaces them before a cluster runs the image.',
  remediation: 'Set image_scanning_configuration { scan_on_push = true } (or enable enhanced scanning for the registry).',
  checkov: ['CKV_AWS_163'],
  resourceTypes: ['aws_ecr_repository'],
  check(repo, ctx) {
    if (isOn(dig(repo.attrs, 'image_scanning_configuration', 'scan_on_push'))) return undefined;
    const enhanced = ctx.resources('aws_ecr_registry_scanning_configuration').some((c) => c.attrs.scan_type === 'ENHANCED');
    return enhanced ? undefined : 'scan_on_push is not true';
  },
});
