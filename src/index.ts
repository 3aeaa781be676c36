// The public API of cdktf-ai-infra: explicit named exports only.
export { Cloud, AwsCloud, GcpCloud, AzureCloud } from './core/cloud';
export type { CloudKind, PerCloud, AwsCloudProps, GcpCloudProps, AzureCloudProps, CloudCommonProps, ImageRegistryAuth } from './core/cloud';
export { InvalidPropError } from './core/errors';
export { DuplicateCoreError } from './core/core-copies';
export type { CoreCopy } from './core/core-copies';
export { LocalStateBackend } from './core/state-backend';
export type { LocalStateBackendProps } from './core/state-backend';
export { WorkloadIdentity } from './core/workload-identity';
export type { IWorkloadIdentity, WorkloadIdentityProps, WorkloadIdentityAttributes, WorkloadIdentityKind } from './core/identity';
export type { IModelStore, ModelReference, ModelReferenceOptions, RegistryModelOptions, RegistryModelReference } from './core/model-store';
export { ModelBackupBucket } from './backup/model-backup-bucket';
export type {
  ModelBackupBucketProps, ModelBackupBucketAttributes, BucketEncryptionKey, ColdStorageClass, ObjectLockOptions,
  ReplicationOptions, AwsModelBackupOptions, GcpModelBackupOptions, AzureModelBackupOptions, AzureBackupNetwork,
} from './backup/props';
export type { AwsModelBackupResources } from './clouds/aws/backup-resources';
export type { GcpModelBackupResources } from './clouds/gcp/backup-resources';
export type { AzureModelBackupResources, AzureBackupAccount } from './clouds/azure/backup-resources';
export type { IGpuCluster, GpuPoolInfo } from './core/cluster';
export { Gpu, pickMachine } from './core/gpu';
export type { GpuId, GpuInterconnect, GpuMachineType, GpuSpec, PickMachineOptions } from './core/gpu';
export { GpuTrainingCluster, separatelyCappedGroups } from './training/gpu-training-cluster';
export { ModelPipeline } from './pipeline/model-pipeline';
export type {
  ModelPipelineProps, PipelineDataProps, PipelineTrainProps, PipelineEvaluateProps, PipelineDeployProps, PipelineTriggerProps, PipelineStorePrefix,
} from './pipeline/model-pipeline';
export type { IProgressiveDeployTarget, ModelRegistryReference } from './core/deploy-target';
export { ARGO_WORKFLOWS } from './k8s/charts';
export type { GpuTrainingClusterProps, GpuPoolProps, SystemPoolProps, GpuClusterAttributes } from './training/gpu-training-cluster';
export type { CapacityKind, GpuReservation } from './core/capacity';
export type { ClusterNetworkProps, ExistingNetwork } from './training/spi';
export { DCGM_COUNTERS, DCGM_EXPORTER_PORT, GPU_ADDON_NAMESPACE, KUEUE_NAMESPACE } from './k8s/charts';
export type { PinnedChart } from './k8s/charts';
export { HOURS_PER_MONTH } from './core/cost';
export type { CostEstimate, CostLine } from './core/cost';
export { KubernetesWorkload, CLUSTER_SCOPED_KINDS } from './k8s/delivery';
export type { KubernetesWorkloadProps, RenderedChart, ChartPlaceholder } from './k8s/delivery';
export {
  RESTRICTED_UID, restrictedContainerSecurityContext, restrictedPodSecurityContext, writableEmptyDirs, podSecurityLabels,
  DEFAULT_WRITABLE_DIRS,
} from './k8s/security';
export type { ContainerSecurityContext, PodSecurityContext, PodSecurityLevel, WritableDir } from './k8s/security';
export {
  addNamespace, addDefaultDenyNetworkPolicy, addDnsEgressNetworkPolicy, addEgressNetworkPolicy, addPeerNetworkPolicy,
  addMetricsIngressNetworkPolicy, MANAGED_BY_LABELS, PRIVATE_AND_METADATA_CIDRS,
} from './k8s/namespace';
export type { NamespaceOptions, EgressPolicyOptions } from './k8s/namespace';
export { InferenceEndpoint } from './inference/inference-endpoint';
export type { ResolvedScaling, IInferenceEndpoint, InferenceEndpointAttributes } from './inference/inference-endpoint';
export type {
  InferenceEndpointProps, InferenceRuntime, InferencePrecision, InferenceQuantization, ModelImage, ReplicaOptions,
  AutoscalingOptions, ScheduleWindow, ExposureOptions, EndpointCertificate, AuthOptions, CanaryOptions, CanarySlo, EndpointSlo,
  IEndpointMonitoring, IEndpointTenant, EndpointWatchOptions, KeyVaultNetwork,
} from './inference/types';
export type { RolloutOptions, ResolvedRollout } from './inference/rollout';
export { VLLM_IMAGE, TINY_MODEL_PARAMS } from './inference/vllm';
export { loraAdapter, MAX_ADAPTERS, VLLM_LORA_RANKS } from './inference/lora';
export type { EndpointAdapter, LoraAdapterSource, LoraAdapterOptions } from './inference/lora';
export { KEDA_CHART, KEDA_HTTP_ADDON_CHART } from './inference/addons';
export { COLD_START, coldStartEstimate, RESPONDER_IMAGE } from './inference/activator';
export type { ColdStartEstimate, ResolvedActivator } from './inference/activator';
export { FLAGGER_CHART, MODEL_VERSION_ANNOTATION } from './inference/progressive-delivery';
export type { ResolvedCanary } from './inference/progressive-delivery';
export {
  PolicyPack, AiInfraPolicyPack, Policy, KUBERNETES_SUPPRESSION_PREFIX, addKubernetesObjects, terraformRule, kubernetesRule,
  CHECKOV_EXEMPTIONS, ALL_RULES,
} from './policy';
export type {
  PolicyPackProps, PolicySuppression, PolicyRule, PolicyRuleInfo, PolicySeverity, PolicyFinding, PolicyContext, PolicyViolation,
  TerraformPolicyRule, KubernetesPolicyRule, TerraformResourceView, KubernetesObjectView, CheckovExemption,
} from './policy';
export { MonitoringStack } from './monitoring/monitoring-stack';
export type {
  MonitoringStackProps, MonitoringBackend, AlertsProps, RoutingProps, ReceiverProps, SecretReference, SmtpProps, BudgetProps,
  SelfManagedProps, ManagedProps, WatchOptions, Watchable, IMonitoringStack, IWatchableEndpoint, IWatchableTrainingJob, IWatchableBucket, IWatchableRestoreDrill,
  IWatchableTenant,
} from './monitoring/types';
export type { CostProps } from './monitoring/cost-prices';
export { kubeStateMetricsCostValues } from './monitoring/scrape';
export {
  gpuRules, trainingRules, endpointRules, platformRules, backupRules, buildRuleGroups, prometheusRulesYaml, prometheusGroups,
  checkAlertRule, isDuration, SEVERITIES, DCGM_FIELDS, HARDWARE_XIDS, BUILTIN_SERVER_METRICS, BURN_RATE_WINDOWS,
  costRules, tenantRules, CAPACITY_TYPES, KUEUE_WORKLOAD_CUSTOM_RESOURCE_STATE,
} from './monitoring/rules';
export type {
  AlertRule, RuleGroup, Severity, RuleArea, GpuRuleOptions, TrainingRuleTarget, EndpointRuleTarget, EndpointMetricNames,
  BackupRuleTarget, RuleSetInput, RenderOptions, RecordingRule, GpuPrice, TenantRuleTarget, CapacityType,
} from './monitoring/rules';
export { DASHBOARDS } from './monitoring/dashboards';
export type { Dashboard } from './monitoring/dashboards';
export {
  TrainingJob, TRAINER_PRESETS, gptParameterCount, ncclEnvironment, TRAINING_BYTES_PER_PARAM, LORA_BYTES_PER_PARAM, LORA_TARGET_MODULES, TRAINER_METRICS_PORT,
  stopCheckpointSeconds, CHECKPOINT_BYTES_PER_PARAM, CHECKPOINT_WRITE_BYTES_PER_SECOND,
} from './training/training-job';
export type {
  TrainingJobProps, TrainingModel, TrainingData, TrainingHyperparameters, TrainerPreset, GptDims, SftData, LoraProps, LoraTargetModule, AdapterReference,
} from './training/training-job';
export { Tenant, TENANT_LABEL } from './training/tenant';
export type { ITenant, TenantProps, TenantAdmin } from './training/tenant';
export { RestoreDrill, RESTORE_DRILL_SCRIPT } from './backup/restore-drill';
export type { RestoreDrillProps, RestoreDrillOptions } from './backup/restore-drill';
export { ContainerImage } from './core/image';
export type { IContainerImage } from './core/image';
export { BundledImage, buildContextHash } from './core/image-build';
export type { BundledImageName } from './core/image-build';
export type { ImageRepository, RegistryPushAuth } from './core/spi';
