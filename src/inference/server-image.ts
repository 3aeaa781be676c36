// The bundled server image (images/server) for the builtin runtime: built from compute/, tagged with the
// content hash of its build context and pushed to the cloud's container registry,
// once per stack and cloud, by core/image-build.
import { IConstruct } from 'constructs';
import { Cloud } from '../core/cloud';
import { BundledImage } from '../core/image-build';

/** The stack's server image for `cloud`. */
export function serverImage(scope: IConstruct, cloud: Cloud): BundledImage {
  return BundledImage.of(scope, cloud, 'server');
}
