// Issue 21 item 5: the images install Python dependencies only from a lock pinned with hashes.
import * as fs from 'fs';
import * as path from 'path';
import { baseImageOf, imageSbom, parseLock } from '../../src/core/sbom';

const ROOT = path.join(__dirname, '..', '..');
const LOCK = path.join(ROOT, 'compute', 'requirements.lock');

/** The lock's requirements: name -> { version, hashes } (parseLock refuses an unpinned or unhashed line). */
function readLock(text: string): Map<string, { version: string; hashes: readonly string[] }> {
  return new Map(parseLock(text).map((p) => [p.name, { version: p.version, hashes: p.sha256 }]));
}

/** Names of compute's dependencies (runtime and the cloud, hf, data and eval extras), from pyproject.toml. */
function declaredDependencies(): string[] {
  const toml = fs.readFileSync(path.join(ROOT, 'compute', 'pyproject.toml'), 'utf8');
  const lists = [/^dependencies = \[([\s\S]*?)\]/m, /^cloud = \[([\s\S]*?)\]/m, /^hf = \[([\s\S]*?)\]/m, /^data = \[([\s\S]*?)\]/m, /^eval = \[([\s\S]*?)\]/m].map((re) => re.exec(toml)![1]);
  return lists.flatMap((l) => [...l.matchAll(/"([A-Za-z0-9._-]+)/g)].map((m) => m[1].toLowerCase()));
}

describe('Python supply chain of the images', () => {
  const lock = readLock(fs.readFileSync(LOCK, 'utf8'));

  test('every requirement of the lock is pinned with == and sha256 hashes', () => {
    expect(lock.size).toBeGreaterThan(50);
    for (const [name, r] of lock) expect({ name, hashes: r.hashes.length > 0 }).toEqual({ name, hashes: true });
  });

  test('the lock covers every declared dependency except torch, which the pinned base image provides', () => {
    const missing = declaredDependencies().filter((d) => !lock.has(d));
    expect(missing).toEqual(['torch']);
    // and the build backend, so the package builds without isolation (no unhashed download)
    expect(lock.has('setuptools') && lock.has('wheel')).toBe(true);
    for (const heavy of ['torch', 'triton', 'nvidia-cudnn-cu12']) expect(lock.has(heavy)).toBe(false);
  });

  test.each(['trainer', 'server'])('images/%s/Dockerfile installs with --require-hashes from the lock, and the package without dependencies', (image) => {
    const dockerfile = fs.readFileSync(path.join(ROOT, 'images', image, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
    const installs = [...dockerfile.matchAll(/pip install ([^&\n]*)/g)].map((m) => m[1].trim().replace(/\s+/g, ' '));
    expect(installs).toEqual(['--require-hashes --no-deps -r requirements.lock', '--no-deps --no-build-isolation .']);
    expect(dockerfile).toMatch(/COPY pyproject\.toml README\.md requirements\.lock \.\//);
  });

  test('the SBOM is deterministic and lists the base image and every locked package with its hashes', () => {
    const dockerfile = fs.readFileSync(path.join(ROOT, 'images', 'server', 'Dockerfile'), 'utf8');
    const text = fs.readFileSync(LOCK, 'utf8');
    expect(baseImageOf(dockerfile)).toBe('pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime@sha256:417bd75df6365104c283ea4c1651fb3530d9eb5a4c2fafa51943cff2a94e6385');
    const a = imageSbom('aiinfra-server', 'ctx-0123', dockerfile, text);
    expect(imageSbom('aiinfra-server', 'ctx-0123', dockerfile, text)).toBe(a);
    const bom = JSON.parse(a);
    expect(bom.components).toHaveLength(lock.size + 1);
    const fastapi = bom.components.find((c: { name: string }) => c.name === 'fastapi');
    expect(fastapi.hashes.map((h: { content: string }) => h.content)).toEqual(lock.get('fastapi')!.hashes);
    expect(bom.dependencies[0].dependsOn).toHaveLength(lock.size + 1);
    // the base by digest, its tag kept for readers
    expect(bom.components[0]).toMatchObject({ name: 'pytorch/pytorch', version: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      properties: expect.arrayContaining([{ name: 'cdktf-ai-infra:tag', value: '2.8.0-cuda12.8-cudnn9-runtime' }]) });
  });

  test('the reader refuses an unhashed or unpinned line (fixture)', () => {
    expect(() => readLock('requests>=2\n')).toThrow(/not a pinned, hashed requirement/);
    expect(() => readLock('requests==2.32.0\n')).toThrow(/not a pinned, hashed requirement/);
  });
});
