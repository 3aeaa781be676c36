import * as fs from 'fs';
import * as path from 'path';
import { Construct } from 'constructs';
import { ISynthesisSession, TerraformStack } from 'cdktf';
// Not re-exported by cdktf's index; the hook TerraformAsset itself uses.
import { addCustomSynthesis } from 'cdktf/lib/synthesize/synthesizer';

export interface DirectoryAssetProps {
  /** Content hash of what `write` produces; part of the path, so new content gets a new path. */
  readonly assetHash: string;
  /** Writes the asset's files into `dir`, an empty folder, during synth. */
  readonly write: (dir: string) => void;
}

/**
 * A folder in the stack's output (`assets/<logical id>/<hash>/`, the layout and path of cdktf's
 * `TerraformAsset` with `AssetType.DIRECTORY`) whose files are written straight there at synth.
 * Why not TerraformAsset: it copies from a source folder, so generated files (Helm charts, filtered
 * Docker build contexts) would be written to a staging folder first and then copied: twice the
 * file operations for ~450 files per synth of the example platform.
 */
export class DirectoryAsset extends Construct {
  public readonly assetHash: string;
  private readonly stack: TerraformStack;

  constructor(scope: Construct, id: string, props: DirectoryAssetProps) {
    super(scope, id);
    this.assetHash = props.assetHash;
    this.stack = TerraformStack.of(this);
    addCustomSynthesis(this, {
      onSynthesize: (session: ISynthesisSession) => {
        const stackDir = path.join(session.outdir, session.manifest.forStack(this.stack).synthesizedStackPath, '..');
        // Older versions of this asset (other hashes) go, as TerraformAsset does.
        fs.rmSync(path.join(stackDir, this.namedFolder), { recursive: true, force: true });
        const dir = path.join(stackDir, this.path);
        fs.mkdirSync(dir, { recursive: true });
        props.write(dir);
      },
    });
  }

  private get namedFolder(): string {
    return path.posix.join('assets', this.stack.getLogicalId(this.node));
  }

  /** Path relative to the stack's folder (where Terraform runs), in posix form. */
  public get path(): string {
    return path.posix.join(this.namedFolder, this.assetHash, '');
  }
}

/** Creates the parent folder of each target once. */
function parentMaker(): (target: string) => void {
  const made = new Set<string>();
  return (target) => {
    const parent = path.dirname(target);
    if (made.has(parent)) return;
    fs.mkdirSync(parent, { recursive: true });
    made.add(parent);
  };
}

/** Writes `files` (posix relative path -> content) under `dir`. */
export function writeFiles(dir: string, files: Record<string, string | Buffer>): void {
  const makeParent = parentMaker();
  for (const [rel, content] of Object.entries(files)) {
    const target = path.join(dir, rel);
    makeParent(target);
    fs.writeFileSync(target, content);
  }
}

/** Copies `files` (posix paths relative to `from`) to the same relative paths under `dir`. */
export function copyFiles(from: string, files: readonly string[], dir: string): void {
  const makeParent = parentMaker();
  for (const rel of files) {
    const target = path.join(dir, rel);
    makeParent(target);
    fs.copyFileSync(path.join(from, rel), target);
  }
}
