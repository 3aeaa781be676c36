import { terraformRule } from '../../rule';
import { isTrue } from '../../util';

/** AI-AZ-ACR-2: images cannot be pulled anonymously. */
export const AcrNoAnonymousPull = terraformRule({
  id: 'AI-AZ-ACR-2',
  severity: 'error',
  title: 'Container registry anonymous pull disabled',
  rationale: 'Anonymous pull publishes the images (and any weights in them) to the internet.',
  remediation: 'Set anonymous_pull_enabled = false (the default).',
  checkov: ['CKV_AZURE_138'],
  resourceTypes: ['azurerm_container_registry'],
  check(registry) {
    return isTrue(registry.attrs.anonymous_pull_enabled) ? 'anonymous_pull_enabled = true' : undefined;
  },
});
