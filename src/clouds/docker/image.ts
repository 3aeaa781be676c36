// Building and pushing an image with the docker provider, for generic code (src/core/image-build.ts): provider
// imports stay under src/clouds/.
import { Construct } from 'constructs';
import { Annotations } from 'cdktf';
import { Image } from '@cdktf/provider-docker/lib/image';
import { DockerProvider, type DockerProviderRegistryAuth } from '@cdktf/provider-docker/lib/provider';
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
 * The synth warning of `registryAuth: 'terraform-token'`: the token is in the Terraform state (data source
 * results and resource arguments are stored, `sensitive` or not), readable by whoever reads the state.
 */
export function warnRegistryToken(scope: Construct, cloud: { toString(): string }, what: string): void {
  Annotations.of(scope).addWarning(`registryAuth 'terraform-token' (${cloud}): ${what} is stored in the Terraform state, `
    + 'readable by anyone who can read the state; the default registryAuth \'deployer\' pushes with the deploying machine\'s '
    + 'registry credentials instead (README: Images and registries)');
}

/** Where the deploying machine's docker credentials are read (the pinned provider expands `~/` itself). */
export const DOCKER_CONFIG_FILE = '~/.docker/config.json';

/** The registry_auth blocks of each docker provider, by address (one per registry host). */
const providerAuth = new WeakMap<DockerProvider, Map<string, DockerProviderRegistryAuth>>();

/**
 * Adds the provider-level credentials of a registry: the docker config file (its credential helper runs when
 * the provider starts) or a user name whose password the provider reads from `DOCKER_REGISTRY_PASS`. Neither
 * puts a credential in the configuration, the plan or the state.
 */
function addProviderAuth(docker: DockerProvider, repository: ImageRepository): void {
  const auth = repository.auth;
  if (auth.kind === 'terraform-token') return;
  const block: DockerProviderRegistryAuth = auth.kind === 'docker-config'
    ? { address: repository.address, configFile: DOCKER_CONFIG_FILE }
    : { address: repository.address, username: auth.username };
  let blocks = providerAuth.get(docker);
  if (!blocks) {
    blocks = new Map();
    providerAuth.set(docker, blocks);
  }
  if (blocks.has(repository.address)) return; // one registry, one way: its cloud's registryAuth
  blocks.set(repository.address, block);
  docker.registryAuth = [...blocks.values()];
}

/**
 * A `docker_image` build (`Build`) and its `docker_registry_image` push (`Push`) under `scope`, through the
 * stack's default docker provider (made once). The push authenticates as `options.repository.auth` says: with
 * provider-level credentials of the deploying machine, or a Terraform-read token on the push resource.
 */
export function dockerBuildAndPush(scope: Construct, options: DockerBuildOptions): { readonly build: Image; readonly push: RegistryImage } {
  const docker = providerFor<DockerProvider>(scope, 'docker', 'default', () => true,
    (stack, pid, alias) => new DockerProvider(stack, pid, { alias }));
  addProviderAuth(docker, options.repository);
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
  const auth = options.repository.auth;
  const push = new RegistryImage(scope, 'Push', {
    provider: docker,
    name: build.name,
    keepRemotely: true,
    triggers: { context_sha256: options.contentHash },
    ...(auth.kind === 'terraform-token'
      ? { authConfig: { address: options.repository.address, username: auth.username, password: auth.password } }
      : {}),
    dependsOn: options.repository.dependsOn,
  });
  return { build, push };
}
