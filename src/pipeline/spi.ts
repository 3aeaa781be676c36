// The contract of a model pipeline's new-data trigger: each cloud turns "objects created under a prefix of a store"
// into a queue the in-cluster event source (Argo Events) reads with the pipeline's event workload identity.
// Types only: the generic code in src/pipeline/ never names a cloud or imports a provider.
import type { Construct } from 'constructs';
import type { Cloud } from '../core/cloud';
import type { IGpuCluster } from '../core/cluster';
import type { IWorkloadIdentity } from '../core/identity';
import type { IModelStore } from '../core/model-store';

/** What the generic pipeline asks a cloud for. */
export interface NewDataQueueSpec {
  /** The store whose object-created events start runs. */
  readonly store: IModelStore;
  /** Object prefix (ending with `/`) the events are filtered on. */
  readonly prefix: string;
  /** The identity the in-cluster event source runs as: it may receive and delete messages of this queue only. */
  readonly reader: IWorkloadIdentity;
  /** What the resources are for (descriptions). */
  readonly description: string;
  /** The cluster the event source runs on (Azure: its VNet gets the queue's private endpoint). */
  readonly cluster: IGpuCluster;
  /** `trigger.onNewData.privateEndpointSubnetId` (Azure only; checked by the cloud). */
  readonly privateEndpointSubnetId?: string;
}

/** The queue, as the Argo Events EventSource names it (no secrets). */
export interface NewDataQueue {
  /** EventSource type: `sqs`, `pubSub` or `azureQueueStorage`. */
  readonly eventSourceType: 'sqs' | 'pubSub' | 'azureQueueStorage';
  /** The EventSource's entry under `spec.<eventSourceType>.<name>` (queue name, region, identity settings). */
  readonly eventSourceSpec: Record<string, unknown>;
  /**
   * A queue reached at private addresses (a private endpoint): the source's pods get egress to these CIDRs on this
   * port, which the tenant's cloud-API egress (public addresses only) does not cover. @default - public endpoints only
   */
  readonly privateEgress?: { readonly cidrs: readonly string[]; readonly port: number };
}

/** One cloud's half of the new-data trigger. */
export interface PipelineSpi<C extends Cloud = Cloud> {
  newDataQueue(scope: Construct, cloud: C, spec: NewDataQueueSpec): NewDataQueue;
}
