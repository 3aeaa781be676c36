// A stand-in for an InferenceEndpoint with a Flagger canary: the other side of the pipeline's deploy seam
// (src/core/deploy-target.ts), for pipeline tests that need no real endpoint (test/pipeline/deploy-seam.test.ts uses one).
import { Construct } from 'constructs';
import { Cloud } from '../../src';
import type { IProgressiveDeployTarget } from '../../src/core/deploy-target';
import { MODEL_VERSION_ANNOTATION } from '../../src/inference/progressive-delivery';
import { FakeStore } from '../training/fakes';

export class FakeEndpoint extends Construct implements IProgressiveDeployTarget {
  public readonly cloud: Cloud;
  public readonly namespace = 'serving';
  public readonly deploymentName = 'chat';
  public readonly canaryName = 'chat';
  public readonly modelVersionAnnotation = MODEL_VERSION_ANNOTATION;
  public readonly registry: IProgressiveDeployTarget['registry'];
  constructor(scope: Construct, id: string, store: FakeStore, path = 'team/models/chat') {
    super(scope, id);
    this.cloud = store.cloud;
    this.registry = { store, path, uri: `${store.uri}/${path}`, alias: 'production' };
  }
}
