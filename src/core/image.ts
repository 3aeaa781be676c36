import { ErrorScope, InvalidPropError } from './errors';

/** A container image a workload runs: one the library builds (`BundledImage`) or one the user names. */
export interface IContainerImage {
  /** `registry/repository:tag` or `...@sha256:...`; may hold Terraform references (tokens). */
  readonly imageUri: string;
  /**
   * A value known at synth that changes whenever the image's content does (a bundled image's build-context
   * hash), for an `imageUri` that is a Terraform reference: objects whose pod template is immutable (Jobs)
   * put it in their names, so a rebuilt image makes a new object instead of an update Kubernetes rejects.
   * @default - none: `imageUri` itself is the version (a literal tag or digest)
   */
  readonly contentHash?: string;
}

/** `repo/name:tag`, `registry.example.com:5000/a/b@sha256:<64 hex>`: what `image:` accepts. */
const IMAGE_REF = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$/;

/** An image named by the user (`repo/name:tag` or a digest); nothing is built. */
export class ContainerImage implements IContainerImage {
  /** Validates the reference: a tag or digest is required (`latest` and untagged images are rejected). */
  public static fromUri(uri: string, scope: ErrorScope = 'ContainerImage', prop = 'image'): ContainerImage {
    checkImageUri(scope, prop, uri);
    return new ContainerImage(uri);
  }

  private constructor(public readonly imageUri: string) {}
}

/** Throws InvalidPropError unless `uri` is an image reference pinned by a tag other than `latest` or a digest. */
export function checkImageUri(scope: ErrorScope, prop: string, uri: string): void {
  if (typeof uri !== 'string' || !IMAGE_REF.test(uri) || /:latest$/.test(uri)) {
    throw new InvalidPropError(scope, prop, uri,
      "an image reference with a tag or digest, e.g. 'ghcr.io/acme/trainer:1.4.2' or 'repo/name@sha256:<64 hex>' (not ':latest')");
  }
}
