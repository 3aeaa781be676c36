// The policy pack: rules over Terraform resources and Kubernetes objects, applied as a cdktf Aspect.
export { PolicyPack } from './pack';
export type { PolicyPackProps } from './pack';
export { AiInfraPolicyPack } from './ai-infra-pack';
export { Policy, KUBERNETES_SUPPRESSION_PREFIX } from './suppress';
export type { PolicySuppression } from './suppress';
export { addKubernetesObjects } from './context';
export { terraformRule, kubernetesRule } from './rule';
export type {
  PolicyRule, PolicyRuleInfo, PolicySeverity, PolicyFinding, PolicyContext, PolicyViolation,
  TerraformPolicyRule, KubernetesPolicyRule, TerraformResourceView, KubernetesObjectView,
} from './rule';
export { CHECKOV_EXEMPTIONS } from './checkov';
export type { CheckovExemption } from './checkov';
export { ALL_RULES, AWS_RULES, GCP_RULES, AZURE_RULES, K8S_RULES } from './rules';
