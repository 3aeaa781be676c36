// The software bill of materials of a bundled image, written beside its build context at synth: CycloneDX 1.5
// JSON, deterministic (no timestamp, no random serial number: the same inputs give the same bytes).
// Components: the pinned base image (the Dockerfile's FROM) and every Python package of the hashed lock the image
// installs (compute/requirements.lock, with its sha256 hashes); torch and the CUDA wheels are the base image's.

/** One `name==version --hash=sha256:...` entry of a pip lock file. */
export interface LockedPackage {
  readonly name: string;
  readonly version: string;
  readonly sha256: readonly string[];
}

/** The entries of a pip requirements lock (hashes required; continuation lines and comments handled). */
export function parseLock(text: string): LockedPackage[] {
  const out: LockedPackage[] = [];
  const lines = text.replace(/\\\r?\n\s*/g, ' ').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  for (const line of lines) {
    const m = /^([A-Za-z0-9._-]+)==(\S+)((?:\s+--hash=sha256:[0-9a-f]{64})+)$/.exec(line);
    if (!m) throw new Error(`requirements lock: not a pinned, hashed requirement: ${line}`);
    out.push({ name: m[1].toLowerCase(), version: m[2], sha256: [...m[3].matchAll(/sha256:([0-9a-f]{64})/g)].map((h) => h[1]) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The base image of a Dockerfile (the last FROM, without a stage name). */
export function baseImageOf(dockerfile: string): string | undefined {
  const froms = [...dockerfile.matchAll(/^FROM\s+(?:--platform=\S+\s+)?(\S+)/gim)].map((m) => m[1]);
  return froms[froms.length - 1];
}

function imageComponent(ref: string): Record<string, unknown> {
  const [nameAndTag, digest] = ref.split('@');
  const colon = nameAndTag.lastIndexOf(':');
  const name = colon > nameAndTag.indexOf('/') ? nameAndTag.slice(0, colon) : nameAndTag;
  const tag = colon > nameAndTag.indexOf('/') ? nameAndTag.slice(colon + 1) : 'latest';
  return {
    type: 'container', 'bom-ref': `base:${ref}`, name, version: digest ?? tag,
    purl: `pkg:docker/${name}@${digest ?? tag}`,
    properties: [
      { name: 'cdktf-ai-infra:provides', value: 'python, torch, triton, CUDA libraries' },
      ...(digest ? [{ name: 'cdktf-ai-infra:tag', value: tag }] : []),
    ],
  };
}

/** CycloneDX 1.5 JSON of an image: `name` (e.g. aiinfra-trainer) at `version`, its base image and its lock. */
export function imageSbom(name: string, version: string, dockerfile: string, lock: string): string {
  const base = baseImageOf(dockerfile);
  const packages = parseLock(lock).map((p) => ({
    type: 'library', 'bom-ref': `pkg:pypi/${p.name}@${p.version}`, name: p.name, version: p.version,
    purl: `pkg:pypi/${p.name}@${p.version}`,
    hashes: p.sha256.map((content) => ({ alg: 'SHA-256', content })),
  }));
  const components = [...(base ? [imageComponent(base)] : []), ...packages];
  const bom = {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    version: 1,
    metadata: {
      tools: { components: [{ type: 'application', name: 'cdktf-ai-infra' }] },
      component: { type: 'container', 'bom-ref': name, name, version },
    },
    components,
    dependencies: [{ ref: name, dependsOn: components.map((c) => c['bom-ref'] as string) }],
  };
  return `${JSON.stringify(bom, null, 2)}\n`;
}
