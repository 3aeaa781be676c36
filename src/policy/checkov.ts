// checkov checks that this library deliberately does not follow, each with the reason and, where the
// reason holds only in some configurations, the condition. AiInfraPolicyPack writes them into each matching
// resource's `"//": { "checkov": { "skip": [...] } }` in cdk.tf.json; scripts/test-checkov.sh applies exactly
// those skips (checkov itself reads no skips from Terraform JSON). Listed in src/policy/README.md.
import { isGcsLogTarget, isS3LogTarget } from './log-targets';
import { PolicyContext, TerraformResourceView } from './rule';
import { blocks, dig, isOn, mentions, policyStatements } from './util';

export interface CheckovExemption {
  /** checkov check ids. */
  readonly checks: readonly string[];
  readonly resourceTypes: readonly string[];
  /** Why the check does not apply; recorded as the skip comment. */
  readonly reason: string;
  /** Only where this holds. @default - every resource of the types */
  when?(resource: TerraformResourceView, context: PolicyContext): boolean;
  /**
   * How an auditor closes it: `prop`, the construct prop that turns the checked setting on (and so removes the
   * exemption), or `control`, the control that meets the check's intent where no setting applies. Every
   * exemption of this library has one (test/policy/exemption-props.test.ts). @default - none (yours may omit it)
   */
  readonly remedy?: { readonly prop: string } | { readonly control: string };
}

/** True when some resource of `type` references `r` (e.g. an AKS cluster whose node pool uses the subnet). */
const usedBy = (type: string) => (r: TerraformResourceView, ctx: PolicyContext) => ctx.resources(type).some((c) => mentions(c.attrs, r.address));

export const CHECKOV_EXEMPTIONS: readonly CheckovExemption[] = [
  // ---- AWS ----
  {
    checks: ['CKV_AWS_145'],
    resourceTypes: ['aws_s3_bucket'],
    reason: 'Access-log target bucket: S3 server access log delivery does not support SSE-KMS targets, so it uses SSE-S3 (AES256).',
    when: (r, ctx) => isS3LogTarget(r, ctx),
    remedy: { control: 'SSE-S3 (AES-256) at rest: S3 server access log delivery writes to no SSE-KMS target' },
  },
  {
    checks: ['CKV_AWS_144', 'CKV_AWS_18'],
    resourceTypes: ['aws_s3_bucket'],
    reason: 'Access-log target bucket: logs of the replicated model bucket are not replicated again, and a log bucket does not log into itself.',
    when: (r, ctx) => isS3LogTarget(r, ctx),
    remedy: { control: 'the log bucket holds the replicated bucket\'s access logs; a log target logging into itself would loop' },
  },
  {
    checks: ['CKV_AWS_33'],
    resourceTypes: ['aws_kms_key'],
    reason: 'Principal "*" only with a StringEquals aws:PrincipalArn condition naming one role of this account: the Auto Scaling '
      + 'service-linked role, which a fresh account does not have yet (a named Principal would fail key creation).',
    when: (r) => {
      const wildcard = policyStatements(r.attrs.policy).filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Principal ?? '').includes('"*"'));
      return wildcard.length > 0 && wildcard.every((s) => {
        const arn = (s.Condition as Record<string, Record<string, unknown>> | undefined)?.StringEquals?.['aws:PrincipalArn'];
        return typeof arn === 'string' && !arn.includes('*');
      });
    },
    remedy: { control: 'the statement\'s aws:PrincipalArn condition names one role of the account' },
  },
  // ---- Google Cloud ----
  {
    checks: ['CKV_GCP_12'],
    resourceTypes: ['google_container_cluster'],
    reason: 'GKE Dataplane V2 (ADVANCED_DATAPATH) enforces NetworkPolicy; the network_policy block configures Calico and conflicts with it.',
    when: (r) => r.attrs.datapath_provider === 'ADVANCED_DATAPATH',
    remedy: { control: 'GKE Dataplane V2 enforces NetworkPolicy' },
  },
  {
    checks: ['CKV_GCP_13'],
    resourceTypes: ['google_container_cluster'],
    reason: 'Client certificates are not issued: GKE disables them by default since 1.12 and the cluster leaves master_auth unset.',
    when: (r) => !isOn(dig(r.attrs, 'master_auth', 'client_certificate_config', 'issue_client_certificate')),
    remedy: { control: 'no client certificate is issued (master_auth unset)' },
  },
  {
    checks: ['CKV_GCP_65'],
    resourceTypes: ['google_container_cluster'],
    reason: 'Google Groups for RBAC needs a Google Workspace domain (authenticator_groups_config) that is organization-specific; access is granted through project IAM.',
    remedy: { control: 'cluster access through IAM principals and Kubernetes RBAC (tenants: the ai-infra-tenant ClusterRole)' },
  },
  {
    checks: ['CKV_GCP_66'],
    resourceTypes: ['google_container_cluster'],
    reason: 'Binary Authorization needs an attestation pipeline outside this library; images come from our registry with immutable, content-hash tags and scan on push. '
      + 'GpuTrainingCluster gkeBinaryAuthorization: true turns it on.',
    when: (r) => blocks(r.attrs.binary_authorization).length === 0,
    remedy: { prop: 'GpuTrainingCluster gkeBinaryAuthorization' },
  },
  {
    checks: ['CKV_GCP_61'],
    resourceTypes: ['google_container_cluster'],
    reason: 'Subnet flow logs are on (AI-GCP-NET-1); intranode visibility would also log every pod-to-pod NCCL flow of multi-GPU training, at high cost. '
      + 'GpuTrainingCluster gkeIntranodeVisibility: true turns it on.',
    when: (r) => !isOn(r.attrs.enable_intranode_visibility),
    remedy: { prop: 'GpuTrainingCluster gkeIntranodeVisibility' },
  },
  {
    checks: ['CKV_GCP_62', 'CKV_GCP_78'],
    resourceTypes: ['google_storage_bucket'],
    reason: 'Usage-log target bucket: it does not log into itself, and log objects are written once and expire by lifecycle.',
    when: (r, ctx) => isGcsLogTarget(r, ctx),
    remedy: { control: 'the usage-log target bucket: write-once log objects with a lifecycle' },
  },
  {
    checks: ['CKV2_GCP_18'],
    resourceTypes: ['google_compute_network'],
    reason: 'GKE creates and manages the firewall rules its cluster needs; the VPC has no other rules, so ingress is denied by the implied rule.',
    when: usedBy('google_container_cluster'),
    remedy: { control: 'the VPC\'s implied deny-ingress rule and GKE\'s own rules' },
  },
  // ---- Azure ----
  {
    checks: ['CKV_AZURE_112'],
    resourceTypes: ['azurerm_key_vault_key'],
    reason: 'Software-protected Key Vault keys (FIPS 140-2 Level 1) protect the storage and etcd encryption keys; HSM-backed keys need a Premium vault and are a user choice: ModelBackupBucket azure.hsmKey: true (the cluster keys are HSM-backed already).',
    when: (r) => r.attrs.key_type === 'RSA' || r.attrs.key_type === 'EC',
    remedy: { prop: 'ModelBackupBucket azure.hsmKey' },
  },
  {
    checks: ['CKV_AZURE_40'],
    resourceTypes: ['azurerm_key_vault_key'],
    reason: 'The key rotates automatically (rotation_policy); a fixed expiration date would make the data it protects unreadable when it passes.',
    when: (r) => blocks(r.attrs.rotation_policy).length > 0,
    remedy: { control: 'automatic rotation with expire_after on every key version (rotation_policy)' },
  },
  {
    checks: ['CKV_AZURE_226'],
    resourceTypes: ['azurerm_kubernetes_cluster'],
    reason: 'Managed OS disks are used: ephemeral OS disks need a VM cache or temp disk larger than the OS disk and cannot be encrypted with a disk encryption set.',
    remedy: { control: 'managed OS disks encrypted with the disk encryption set (customer-managed key)' },
  },
  {
    checks: ['CKV_AZURE_172'],
    resourceTypes: ['azurerm_kubernetes_cluster'],
    reason: 'The Secrets Store CSI driver add-on is not enabled (no key_vault_secrets_provider), so there is no secret rotation to configure.',
    when: (r) => blocks(r.attrs.key_vault_secrets_provider).length === 0,
    remedy: { control: 'the Helm-installed Secrets Store CSI driver rotates mounted secrets (enableSecretRotation, every 2 minutes)' },
  },
  {
    checks: ['CKV_AZURE_33'],
    resourceTypes: ['azurerm_storage_account'],
    reason: 'The account holds blobs only (no queues), so queue logging has nothing to log.',
    when: (r, ctx) => !ctx.resources('azurerm_storage_queue').some((q) => mentions(q.attrs, r.address)),
    remedy: { control: 'no queue exists in the account' },
  },
  {
    checks: ['CKV_AZURE_33'],
    resourceTypes: ['azurerm_storage_account'],
    reason: 'Queue reads, writes and deletes are logged by an Azure Monitor diagnostic setting on the queue service (a model pipeline\'s new-data queue); '
      + 'this check only sees classic Storage Analytics logging, a data-plane setting behind the account\'s deny-by-default firewall.',
    when: (r, ctx) => ctx.resources('azurerm_storage_queue').some((q) => mentions(q.attrs, r.address))
      && ctx.resources('azurerm_monitor_diagnostic_setting').some((d) => mentions(d.attrs.target_resource_id, r.address)
        && String(d.attrs.target_resource_id).includes('/queueServices/')
        && blocks(d.attrs.enabled_log).some((l) => ['StorageRead', 'audit', 'allLogs'].includes(String(l.category ?? l.category_group)))),
    remedy: { control: 'StorageRead/Write/Delete logs of the queue service through an Azure Monitor diagnostic setting' },
  },
  {
    checks: ['CKV_AZURE_4'],
    resourceTypes: ['azurerm_kubernetes_cluster'],
    reason: 'Control plane logs (kube-audit) go to Log Analytics through a diagnostic setting (AI-AZ-AKS-4); workload metrics come from Prometheus (MonitoringStack), so the Container Insights agent (oms_agent) is not installed.',
    when: (r, ctx) => ctx.resources('azurerm_monitor_diagnostic_setting').some((d) => mentions(d.attrs.target_resource_id, r.address)
      && blocks(d.attrs.enabled_log).some((l) => ['kube-audit', 'kube-audit-admin', 'audit', 'allLogs'].includes(String(l.category ?? l.category_group)))),
    remedy: { control: 'kube-audit logs to Log Analytics (diagnostic setting) and metrics to Prometheus' },
  },
  {
    checks: ['CKV2_AZURE_21'],
    resourceTypes: ['azurerm_storage_container'],
    reason: 'Blob reads are logged by an Azure Monitor diagnostic setting on the blob service (StorageRead); this check only sees classic Storage Analytics logging.',
    when: (r, ctx) => ctx.resources('azurerm_storage_account').some((account) => mentions(r.attrs, account.address)
      && ctx.resources('azurerm_monitor_diagnostic_setting').some((d) => mentions(d.attrs.target_resource_id, account.address)
        && String(d.attrs.target_resource_id).includes('/blobServices/')
        && blocks(d.attrs.enabled_log).some((l) => ['StorageRead', 'audit', 'allLogs'].includes(String(l.category ?? l.category_group))))),
    remedy: { control: 'StorageRead logs of the blob service through an Azure Monitor diagnostic setting' },
  },
  {
    checks: ['CKV2_AZURE_31'],
    resourceTypes: ['azurerm_subnet'],
    reason: 'AKS node subnet: AKS attaches and manages the node network security group itself (in the node resource group).',
    when: usedBy('azurerm_kubernetes_cluster'),
    remedy: { control: 'AKS\'s own network security group on the node NICs; NetworkPolicy inside the cluster' },
  },
];

/** The exemptions that apply to `resource`. */
export function exemptionsFor(exemptions: readonly CheckovExemption[], resource: TerraformResourceView, ctx: PolicyContext): CheckovExemption[] {
  return exemptions.filter((e) => e.resourceTypes.includes(resource.type) && (!e.when || e.when(resource, ctx)));
}
