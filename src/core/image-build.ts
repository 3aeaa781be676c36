import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Construct, IConstruct } from 'constructs';
import { Annotations, Aspects, Fn, IAspect, Lazy, TerraformStack } from 'cdktf';
import { dockerBuildAndPush, type RegistryImage } from '../clouds/docker/image';
import { targetFor } from '../clouds/registry';
import { Cloud } from './cloud';
import { IGpuCluster } from './cluster';
import { copyFiles, DirectoryAsset } from './directory-asset';
import { imageSbom } from './sbom';
import { IContainerImage } from './image';
import { assertOneCore } from './one-core';
import { packageRoot } from './package-root';
import type { ImageRepository } from './spi';

/** The images this library ships (Dockerfiles under images/, build context compute/). */
export type BundledImageName = 'trainer' | 'server';

export type { ImageRepository } from './spi';

/** Always left out of a build context: machine-local caches that would make the hash host-dependent. */
const ALWAYS_IGNORED = ['**/__pycache__', '**/*.pyc', '**/*.egg-info', '.venv', '**/.pytest_cache', '.git', '**/.DS_Store'];
const DOCKERFILE_IN_CONTEXT = 'aiinfra.Dockerfile';
/** The CycloneDX SBOM written beside the staged build context. */
export const SBOM_FILE = 'sbom.cdx.json';

/** Converts one .dockerignore pattern (Go filepath.Match plus `**`) to a RegExp over posix relative paths. */
function patternToRegExp(pattern: string): RegExp {
  let p = pattern.replace(/^\/+/, '').replace(/\/+$/, '');
  if (p.startsWith('./')) p = p.slice(2);
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '*') {
      if (p[i + 1] === '*') {
        i++;
        if (p[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else {
          re += '.*';
        }
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const end = p.indexOf(']', i);
      if (end < 0) re += '\\[';
      else {
        re += `[${p.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else {
      re += c.replace(/[.+^${}()|\\]/g, '\\$&');
    }
  }
  // a pattern that matches a directory excludes everything below it
  return new RegExp(`^${re}(?:/.*)?$`);
}

/** Parses .dockerignore text into ordered rules (later rules win, `!` re-includes). */
export function parseDockerignore(text: string): { re: RegExp; exclude: boolean }[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    .map((l) => (l.startsWith('!') ? { re: patternToRegExp(l.slice(1).trim()), exclude: false } : { re: patternToRegExp(l), exclude: true }));
}

function ignored(rel: string, rules: { re: RegExp; exclude: boolean }[]): boolean {
  let out = false;
  for (const r of rules) if (r.re.test(rel)) out = r.exclude;
  return out;
}

/** The files of a build context (sorted posix relative paths), honoring .dockerignore and ALWAYS_IGNORED. */
export function contextFiles(contextDir: string): string[] {
  const dockerignore = path.join(contextDir, '.dockerignore');
  const rules = [
    ...parseDockerignore(ALWAYS_IGNORED.join('\n')),
    ...(fs.existsSync(dockerignore) ? parseDockerignore(fs.readFileSync(dockerignore, 'utf8')) : []),
  ];
  const always = parseDockerignore(ALWAYS_IGNORED.join('\n'));
  const out: string[] = [];
  const walk = (dir: string, relDir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const rel = relDir ? `${relDir}/${entry.name}` : entry.name;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (ignored(rel, always)) continue;
        walk(full, rel);
      } else if (entry.isFile() && !ignored(rel, rules)) {
        out.push(rel);
      }
    }
  };
  walk(contextDir, '');
  return out.sort();
}

/**
 * Content hash of a build: sorted relative paths and contents of the context files plus the Dockerfile.
 * Independent of the machine, the checkout location and file times.
 */
export function buildContextHash(contextDir: string, dockerfile: string): string {
  const h = createHash('sha256');
  for (const rel of contextFiles(contextDir)) {
    h.update(`${rel}\0`);
    h.update(fs.readFileSync(path.join(contextDir, rel)));
    h.update('\0');
  }
  h.update(`${DOCKERFILE_IN_CONTEXT}\0`);
  h.update(fs.existsSync(dockerfile) ? fs.readFileSync(dockerfile) : Buffer.from('missing'));
  return h.digest('hex');
}

export interface BundledImageProps {
  readonly cloud: Cloud;
  readonly image: BundledImageName;
}

const hashCache = new Map<string, string>();

/**
 * One of the library's images (trainer, server), built from `images/<name>/Dockerfile` with the build
 * context `compute/` by the docker provider, tagged with the content hash of the context and Dockerfile,
 * and pushed to a registry made for it on the cloud (ECR, Artifact Registry or ACR; immutable tags, scans,
 * encryption: see src/clouds/<cloud>/registry.ts). Use `BundledImage.of(scope, cloud, 'trainer')`: one per
 * stack, cloud and image. The build context is staged (filtered by .dockerignore) into the stack's assets
 * at synth, so `cdk.tf.json` holds relative paths only. `cdktf deploy` needs a Docker engine (the docker
 * provider's default host) to build and push.
 */
export class BundledImage extends Construct implements IContainerImage {
  /** The stack's image of `name` for `cloud` (made once). */
  public static of(scope: IConstruct, cloud: Cloud, image: BundledImageName): BundledImage {
    const stack = TerraformStack.of(scope);
    const id = `AiInfraImage-${image}-${cloud.kind}-${cloud.region}`;
    return (stack.node.tryFindChild(id) as BundledImage | undefined) ?? new BundledImage(stack, id, { cloud, image });
  }

  /** Hex sha256 of the build context and Dockerfile. */
  public readonly contentHash: string;
  /** Image tag: `ctx-` and the first 20 hex digits of the content hash. */
  public readonly tag: string;
  /**
   * `<repository url>:<tag>`, as Terraform references: the tag is read from the push resource, so whatever uses
   * it is applied after the image is pushed.
   */
  public readonly imageUri: string;
  public readonly repository: ImageRepository;
  /** The docker_registry_image (push) resource: depend on it to run after the push. */
  public readonly push: RegistryImage;
  public readonly cloud: Cloud;
  private readonly contextDir: string;
  private readonly dockerfile: string;
  private readonly imageName: BundledImageName;
  private asset?: DirectoryAsset;

  constructor(scope: Construct, id: string, props: BundledImageProps) {
    super(scope, id);
    assertOneCore(this); // its Aspect would be skipped by a stack of another core copy
    this.cloud = props.cloud;
    const root = packageRoot();
    this.contextDir = path.join(root, 'compute');
    this.dockerfile = path.join(root, 'images', props.image, 'Dockerfile');
    this.imageName = props.image;
    // Reading the bundled build context is the one file read a construct may do (DESIGN: assets).
    const cacheKey = `${this.contextDir}|${this.dockerfile}`;
    let hash = hashCache.get(cacheKey);
    if (!hash) {
      hash = buildContextHash(this.contextDir, this.dockerfile);
      hashCache.set(cacheKey, hash);
    }
    this.contentHash = hash;
    this.tag = `ctx-${hash.slice(0, 20)}`;
    if (!fs.existsSync(this.dockerfile)) {
      Annotations.of(this).addWarning(`images/${props.image}/Dockerfile is missing from the package: the build will fail at apply`);
    }

    const repoName = `aiinfra-${props.image}`;
    this.repository = targetFor(props.cloud).images.repository(this, props.cloud, repoName);
    this.push = dockerBuildAndPush(this, {
      name: `${this.repository.url}:${this.tag}`,
      contentHash: hash,
      context: Lazy.stringValue({ produce: () => `./${this.ensureAsset().path}` }),
      dockerfile: DOCKERFILE_IN_CONTEXT,
      title: repoName,
      repository: this.repository,
    }).push;
    // What workloads run: the tag comes from the push resource, so a release that uses the image is applied
    // after the push, and charts hold `<repository>:ctx-{{ value }}` (the tag stays visible to linters) without
    // the content hash itself (a compute/ change changes the image resources, not every chart; training Jobs,
    // whose pod templates are immutable, put `contentHash` in their names and so are renamed).
    this.imageUri = `${this.repository.url}:ctx-${Fn.substr(Fn.lookup(this.push.triggers, 'context_sha256', ''), 0, 20)}`;
    Aspects.of(this).add(new StageContext(this));
  }

  /**
   * Lets the cluster's nodes pull this image. EKS nodes (AmazonEC2ContainerRegistryPullOnly) and GKE nodes
   * (artifactregistry.reader) already can; on AKS the kubelet identity gets AcrPull on the registry.
   */
  public grantPull(cluster: IGpuCluster): void {
    targetFor(this.cloud).images.grantPull?.(this, this.cloud, cluster);
  }

  /**
   * Makes the asset that ships the filtered build context and Dockerfile: copied straight into the
   * stack's `assets/` folder at synth (no staging copy).
   * @internal
   */
  public ensureAsset(): DirectoryAsset {
    if (this.asset) return this.asset;
    const { contextDir, dockerfile } = this;
    this.asset = new DirectoryAsset(this, 'Context', {
      assetHash: this.contentHash.slice(0, 32),
      write: (dir) => {
        copyFiles(contextDir, contextFiles(contextDir), dir);
        if (fs.existsSync(dockerfile)) fs.copyFileSync(dockerfile, path.join(dir, DOCKERFILE_IN_CONTEXT));
        // The image's bill of materials beside its context (deterministic: from the Dockerfile and the hashed lock).
        const lock = path.join(contextDir, 'requirements.lock');
        if (fs.existsSync(dockerfile) && fs.existsSync(lock)) {
          fs.writeFileSync(path.join(dir, SBOM_FILE), imageSbom(`aiinfra-${this.imageName}`, this.tag,
            fs.readFileSync(dockerfile, 'utf8'), fs.readFileSync(lock, 'utf8')));
        }
      },
    });
    return this.asset;
  }
}

class StageContext implements IAspect {
  private done = false;
  constructor(private readonly image: BundledImage) {}
  public visit(node: IConstruct): void {
    if (node !== this.image || this.done) return;
    this.done = true;
    this.image.ensureAsset();
  }
}

/** The stack's trainer image for `cloud`. */
export function trainerImage(scope: IConstruct, cloud: Cloud): BundledImage {
  return BundledImage.of(scope, cloud, 'trainer');
}
