// cdk8s (95 modules) is loaded on first use rather than when the library is imported: an app that only
// makes buckets or clusters never needs it, and `require('cdktf-ai-infra')` has an import-time budget.
import type * as Cdk8s from 'cdk8s';
import type { ApiObject, ApiObjectProps } from 'cdk8s';
import type { Construct } from 'constructs';

/** The cdk8s module, loaded on first call. */
export function cdk8s(): typeof Cdk8s {
  return require('cdk8s') as typeof Cdk8s;
}

/** `new ApiObject(scope, id, props)`. */
export function apiObject(scope: Construct, id: string, props: ApiObjectProps): ApiObject {
  return new (cdk8s().ApiObject)(scope, id, props);
}
