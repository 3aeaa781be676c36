import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TerraformStack, Testing } from 'cdktf';
import { Cloud } from '../../src/core/cloud';
import { ContainerImage } from '../../src/core/image';
import { BundledImage, buildContextHash, contextFiles, parseDockerignore } from '../../src/core/image-build';
import { parseLock } from '../../src/core/sbom';
import { packageRoot } from '../../src/core/package-root';
import { InvalidPropError } from '../../src';
import { SynthQuery } from '../synth-query';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function copyTree(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true });
}

describe('bundled images', () => {
  test('.dockerignore patterns: globs, ** and negation', () => {
    const rules = parseDockerignore('# comment\n**/__pycache__\n*.log\n!keep.log\nbuild/\n/tests\n');
    const ignored = (p: string) => rules.reduce((out, r) => (r.re.test(p) ? r.exclude : out), false);
    expect(ignored('src/a/__pycache__/x.pyc')).toBe(true);
    expect(ignored('debug.log')).toBe(true);
    expect(ignored('keep.log')).toBe(false);
    expect(ignored('build/lib/x.py')).toBe(true);
    expect(ignored('tests/test_a.py')).toBe(true);
    expect(ignored('src/tests.py')).toBe(false);
  });

  test('the context hash covers the files docker would send, and is the same in any checkout location', () => {
    const root = packageRoot();
    const files = contextFiles(path.join(root, 'compute'));
    expect(files).toContain('pyproject.toml');
    expect(files.some((f) => f.startsWith('src/aiinfra/'))).toBe(true);
    expect(files.filter((f) => /__pycache__|\.pyc$|egg-info|^tests\//.test(f))).toEqual([]);

    const a = fs.mkdtempSync(path.join(os.tmpdir(), 'ctx-a-'));
    const b = fs.mkdtempSync(path.join(os.tmpdir(), 'ctx-b-'));
    try {
      copyTree(path.join(root, 'compute'), path.join(a, 'compute'));
      copyTree(path.join(root, 'compute'), path.join(b, 'deeper', 'compute'));
      const dockerfile = path.join(root, 'images', 'trainer', 'Dockerfile');
      const hashA = buildContextHash(path.join(a, 'compute'), dockerfile);
      expect(buildContextHash(path.join(b, 'deeper', 'compute'), dockerfile)).toBe(hashA);
      expect(hashA).toBe(buildContextHash(path.join(root, 'compute'), dockerfile));
      // caches and ignored files do not change it; a source change does
      fs.mkdirSync(path.join(b, 'deeper', 'compute', 'src', '__pycache__'), { recursive: true });
      fs.writeFileSync(path.join(b, 'deeper', 'compute', 'src', '__pycache__', 'x.pyc'), 'cache');
      expect(buildContextHash(path.join(b, 'deeper', 'compute'), dockerfile)).toBe(hashA);
      fs.appendFileSync(path.join(b, 'deeper', 'compute', 'pyproject.toml'), '\n# changed\n');
      expect(buildContextHash(path.join(b, 'deeper', 'compute'), dockerfile)).not.toBe(hashA);
    } finally {
      fs.rmSync(a, { recursive: true, force: true });
      fs.rmSync(b, { recursive: true, force: true });
    }
  });

  test('one image per stack and cloud, built from the staged context and pushed with the content-hash tag', () => {
    const stack = new TerraformStack(Testing.app(), 'imgs');
    const cloud = Cloud.aws({ region: 'us-east-1' });
    const image = BundledImage.of(stack, cloud, 'trainer');
    expect(BundledImage.of(stack, cloud, 'trainer')).toBe(image);
    expect(image.tag).toBe(`ctx-${image.contentHash.slice(0, 20)}`);
    const json: Json = SynthQuery.fromStack(stack).json;
    const build = Object.values(json.resource.docker_image)[0] as Json;
    expect(build.build).toMatchObject({ dockerfile: 'aiinfra.Dockerfile', platform: 'linux/amd64' });
    expect(build.build.context).toMatch(/^\.\/assets\/[^/]+\/[0-9a-f]{32}$/);
    expect(build.triggers).toEqual({ context_sha256: image.contentHash });
    const push = Object.values(json.resource.docker_registry_image)[0] as Json;
    expect(push).toMatchObject({ keep_remotely: true, triggers: { context_sha256: image.contentHash } });
    expect(push.auth_config.address).toMatch(/replace\(data\.aws_ecr_authorization_token/);
    const repo = Object.values(json.resource.aws_ecr_repository)[0] as Json;
    expect(repo).toMatchObject({
      image_tag_mutability: 'IMMUTABLE', image_scanning_configuration: { scan_on_push: true },
      encryption_configuration: [{ encryption_type: 'KMS', kms_key: expect.stringMatching(/^\$\{aws_kms_key\..+\.arn\}$/) }],
    });
    const key = Object.values(json.resource.aws_kms_key)[0] as Json;
    expect(key.enable_key_rotation).toBe(true);
    expect(JSON.parse(key.policy).Statement[1].Condition.StringEquals['kms:ViaService']).toBe('ecr.us-east-1.amazonaws.com');
    expect(JSON.stringify(json)).not.toContain(packageRoot());
  });

  test('the build context in the stack assets holds the filtered files, the Dockerfile and the SBOM, nothing else', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'imgs');
    BundledImage.of(stack, Cloud.gcp({ project: 'acme-ml', region: 'us-central1' }), 'trainer');
    app.synth();
    const stackDir = path.join(app.outdir, 'stacks', 'imgs');
    const tf = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
    const build = (Object.values(tf.resource.docker_image)[0] as Json).build;
    expect(build.context).toMatch(/^\.\/assets\/[^/]+\/[0-9a-f]{32}$/);
    const staged = path.join(stackDir, build.context);
    const listed: string[] = [];
    const walk = (d: string, rel: string) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else listed.push(r);
    });
    walk(staged, '');
    const root = packageRoot();
    expect(listed.sort()).toEqual([...contextFiles(path.join(root, 'compute')), 'aiinfra.Dockerfile', 'sbom.cdx.json'].sort());
    // (issue 21 item 5) the SBOM beside the context: CycloneDX, the image's tag, the base image, every locked package
    const sbom = JSON.parse(fs.readFileSync(path.join(staged, 'sbom.cdx.json'), 'utf8'));
    expect(sbom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.5', metadata: { component: { name: 'aiinfra-trainer', version: expect.stringMatching(/^ctx-[0-9a-f]{20}$/) } } });
    const lock = parseLock(fs.readFileSync(path.join(root, 'compute', 'requirements.lock'), 'utf8'));
    expect(sbom.components.map((c: Json) => c.purl)).toEqual([
      'pkg:docker/pytorch/pytorch@2.8.0-cuda12.9-cudnn9-runtime', ...lock.map((p) => `pkg:pypi/${p.name}@${p.version}`)]);
    expect(JSON.stringify(sbom)).not.toMatch(/timestamp|serialNumber/);
    // written once, straight into the stack's assets: no staging copy elsewhere in the output
    expect(fs.readdirSync(app.outdir).sort()).toEqual(['manifest.json', 'stacks']);
  });

  test('Artifact Registry: CMEK, immutable tags, scanning; ACR: Premium, admin and anonymous pull off, repository-scoped push token', () => {
    const gcp = new TerraformStack(Testing.app(), 'g');
    BundledImage.of(gcp, Cloud.gcp({ project: 'acme-ml', region: 'us-central1' }), 'trainer');
    const g: Json = SynthQuery.fromStack(gcp).json;
    const repo = Object.values(g.resource.google_artifact_registry_repository)[0] as Json;
    expect(repo).toMatchObject({ format: 'DOCKER', location: 'us-central1', docker_config: { immutable_tags: true }, vulnerability_scanning_config: { enablement_config: 'INHERITED' } });
    expect(repo.kms_key_name).toMatch(/google_kms_crypto_key\./);
    const member = Object.values(g.resource.google_kms_crypto_key_iam_member)[0] as Json;
    expect(member.member).toMatch(/gcp-sa-artifactregistry\.iam\.gserviceaccount\.com$/);
    const image = Object.values(g.resource.docker_image)[0] as Json;
    expect(image.name).toMatch(/^us-central1-docker\.pkg\.dev\/acme-ml\/.+\/aiinfra-trainer:ctx-[0-9a-f]{20}$/);

    const az = new TerraformStack(Testing.app(), 'a');
    BundledImage.of(az, Cloud.azure({ location: 'eastus2' }), 'trainer');
    BundledImage.of(az, Cloud.azure({ location: 'eastus2' }), 'server');
    const a: Json = SynthQuery.fromStack(az).json;
    // one Premium registry per stack and location serves both images, each pushed with its own scoped token
    expect(Object.keys(a.resource.azurerm_container_registry)).toHaveLength(1);
    expect(Object.keys(a.resource.azurerm_container_registry_token)).toHaveLength(2);
    const acr = Object.values(a.resource.azurerm_container_registry)[0] as Json;
    expect(acr).toMatchObject({ sku: 'Premium', admin_enabled: false, anonymous_pull_enabled: false, retention_policy_in_days: 30 });
    const scope = (Object.values(a.resource.azurerm_container_registry_scope_map) as Json[]).find((m) => m.name === 'aiinfra-trainer-push');
    expect(scope.actions).toEqual(['repositories/aiinfra-trainer/content/read', 'repositories/aiinfra-trainer/content/write', 'repositories/aiinfra-trainer/metadata/read']);
  });

  test('a user image must be pinned', () => {
    expect(ContainerImage.fromUri('ghcr.io/acme/trainer:1.2.3').imageUri).toBe('ghcr.io/acme/trainer:1.2.3');
    expect(ContainerImage.fromUri(`repo/name@sha256:${'a'.repeat(64)}`).imageUri).toContain('@sha256:');
    expect(() => ContainerImage.fromUri('repo/name')).toThrow(InvalidPropError);
    expect(() => ContainerImage.fromUri('repo/name:latest')).toThrow(/not ':latest'/);
  });
});
