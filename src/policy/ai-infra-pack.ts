import { CHECKOV_EXEMPTIONS } from './checkov';
import { PolicyPack, PolicyPackProps } from './pack';
import { ALL_RULES } from './rules';

/**
 * The library's own pack: every built-in rule over the Terraform resources of AWS, Google Cloud and Azure and
 * the Kubernetes objects our constructs render, plus the library's checkov exemptions (CHECKOV_EXEMPTIONS) with
 * their reasons. `Aspects.of(stack).add(new AiInfraPolicyPack())`.
 */
export class AiInfraPolicyPack extends PolicyPack {
  constructor(props: Omit<PolicyPackProps, 'rules'> & { readonly extraRules?: PolicyPackProps['rules'] } = {}) {
    super({
      ...props,
      name: props.name ?? 'cdktf-ai-infra',
      rules: [...ALL_RULES, ...(props.extraRules ?? [])],
      checkovExemptions: props.checkovExemptions ?? CHECKOV_EXEMPTIONS,
    });
  }
}
