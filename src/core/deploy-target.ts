import { IConstruct } from 'constructs';
import { Cloud } from './cloud';
import { IModelStore } from './model-store';

/**
 * The seam between a model pipeline (which produces registry versions) and an endpoint with progressive
 * delivery (which rolls them out). A pipeline's deploy step never edits Terraform: it sets the version on the
 * endpoint's Deployment pod template annotation `modelVersionAnnotation`, the progressive-delivery controller
 * (Flagger) sees the template change and runs the canary analysis, and the step waits for the Canary object's
 * `status.phase` (`Succeeded` -> move the `production` alias; `Failed` -> traffic is back on the previous version,
 * the alias stays). Pods of the endpoint read the annotation through the downward API; without it they serve
 * the version the registry's `production` alias points at.
 */
export interface IProgressiveDeployTarget extends IConstruct {
  readonly cloud: Cloud;
  /** Kubernetes namespace of the endpoint's Deployment and Canary. */
  readonly namespace: string;
  /** Name of the Deployment the canary controller watches (its pod template carries the version annotation). */
  readonly deploymentName: string;
  /** Name of the canary controller's object (Flagger `Canary`, apiVersion flagger.app/v1beta1). */
  readonly canaryName: string;
  /** Pod template annotation holding the registry version (a decimal string) the pods serve. */
  readonly modelVersionAnnotation: string;
  /** The model registry the endpoint serves from: `<store uri>/<registryPath>/` (versions/, aliases/). */
  readonly registry: ModelRegistryReference;
}

/** A model registry in a store (compute/src/aiinfra/registry.py layout: versions/<n>/, aliases/<name>.json). */
export interface ModelRegistryReference {
  readonly store: IModelStore;
  /** Path under the store, e.g. `models/chat-model` (no leading or trailing slash). */
  readonly path: string;
  /** `<store uri>/<path>` */
  readonly uri: string;
  /** The alias the endpoint serves when its pods carry no version annotation. */
  readonly alias: string;
}
