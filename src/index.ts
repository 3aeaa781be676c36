// The public API of cdktf-ai-infra: explicit named exports only.
export { Cloud, AwsCloud, GcpCloud, AzureCloud } from './core/cloud';
export type { CloudKind, PerCloud, AwsCloudProps, GcpCloudProps, AzureCloudProps } from './core/cloud';
export { InvalidPropError } from './core/errors';
export { WorkloadIdentity } from './core/identity';
export type { IWorkloadIdentity, WorkloadIdentityProps, WorkloadIdentityAttributes, WorkloadIdentityKind } from './core/identity';
export type { IModelStore, ModelReference, ModelReferenceOptions } from './core/model-store';
export type { IGpuCluster, GpuPoolInfo } from './core/cluster';
export { Gpu, pickMachine } from './core/gpu';
export type { GpuId, GpuInterconnect, GpuMachineType, GpuSpec, PickMachineOptions } from './core/gpu';
