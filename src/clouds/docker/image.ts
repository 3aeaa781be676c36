// Building and pushing an image with the docker provider, for generic code (src/core/image-build.ts): provider
// imports stay under src/clouds/.
import { Construct } from 'constructs';
import { Image } from '@cdktf/provider-docker/lib/image';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { RegistryImage } from '@cdktf/provider-docker/lib/registry-image';
import { providerFor } from '../../core/providers';
import type { ImageRepository } from '../../core/spi';

export type { RegistryImage };

/** What to build and where to push it. */
export interface DockerBuildOptions {
  /** `<repository url>:<tag>`. */
  readonly name: string;
  /** Hex content hash of the context and Dockerfile: the rebuild trigger and the revision label. */
  readonly contentHash: string;
  /** The build context directory, relative to the stack (a token resolved at synth). */
  readonly context: string;
  /** The Dockerfile's name inside the context. */
  readonly dockerfile: string;
  /** The image title label. */
  readonly title: string;
  readonly repository: ImageRepository;
}

/**
 * A `docker_image` build (`Build`) and its `docker_registry_image` push (`Push`) under `scope`, through the
 * stack's default docker provider (made once).
 */
export function dockerBuildAndPush(scope: Construct, options: DockerBuildOptions): { readonly build: Image; readonly push: RegistryImage } {
  const docker = providerFor<DockerProvider>(scope, 'docker', 'default', () => true,
    (stack, pid, alias) => new DockerProvider(stack, pid, { alias }));
  const build = new Image(scope, 'Build', {
    provider: docker,
    name: options.name,
    keepLocally: false,
    triggers: { context_sha256: options.contentHash },
    buildAttribute: {
      context: options.context,
      dockerfile: options.dockerfile,
      platform: 'linux/amd64',
      label: { 'org.opencontainers.image.title': options.title, 'org.opencontainers.image.revision': options.contentHash },
    },
  });
  const push = new RegistryImage(scope, 'Push', {
    provider: docker,
    name: build.name,
    keepRemotely: true,
    triggers: { context_sha256: options.contentHash },
    authConfig: { address: options.repository.address, username: options.repository.username, password: options.repository.password },
  });
  return { build, push };
}
