// The chart lock (charts.lock.json): for every pinned upstream chart, the sha256 of its archive and its URL as the
// publisher's index.yaml lists them, and whether the publisher signs that version. Releases of signed charts verify
// the provenance file against the publisher's key, shipped as a binary keyring asset of the stack.
import { createHash } from 'crypto';
import * as path from 'path';
import { Construct } from 'constructs';
import { TerraformStack } from 'cdktf';
import { DirectoryAsset, writeFiles } from '../core/directory-asset';
// Not `chart-lock.json`: beside chart-lock.ts, Node's resolver (ts-node, plain require) would load the JSON for `./chart-lock`.
import lockFile from './charts.lock.json';
import { ARGOPROJ_HELM_KEY } from './keys/argoproj';

/** A chart whose publisher signs this version: Helm provenance (`.prov`) by the OpenPGP key `key`. */
export interface PgpProvenance {
  /** v4 fingerprint (40 hex digits, upper case) of the signing key. */
  readonly pgp: string;
  /** The module holding the publisher's armored key, verbatim (`src/k8s/keys/<publisher>.ts`). */
  readonly key: string;
}

/** One locked chart. */
export interface ChartLockEntry {
  readonly repository: string;
  readonly chart: string;
  readonly version: string;
  /** sha256 (hex) of the chart archive, copied from the publisher's index.yaml; null where no index could be read (`digestNote` says why). */
  readonly digest: string | null;
  /** Download URL of the archive, from the same index entry. */
  readonly url: string | null;
  /** Where the digest was read: `<owner>/<repo>@<commit>:<path of index.yaml>`. */
  readonly index: string | null;
  /** The archive in the publisher's tree, when the mirror holds it (its sha256 was checked against `digest`). */
  readonly archive?: string;
  /** Why `digest` is null. */
  readonly digestNote?: string;
  /** Signed (PGP), `unsigned` (the publisher's release process signs nothing), or `unknown`. */
  readonly provenance: PgpProvenance | 'unsigned' | 'unknown';
  /** One line of evidence for `provenance`. */
  readonly evidence: string;
}

/** The locked charts, in the order of charts.lock.json. */
export const CHART_LOCK: readonly ChartLockEntry[] = lockFile.charts as readonly ChartLockEntry[];

/** The armored public keys `provenance.key` names. */
export const PUBLISHER_KEYS: Readonly<Record<string, string>> = { 'src/k8s/keys/argoproj.ts': ARGOPROJ_HELM_KEY };

/** The lock entry of a chart at exactly this repository, name and version, if any. */
export function lockedChart(chart: { repository: string; chart: string; version: string }): ChartLockEntry | undefined {
  return CHART_LOCK.find((e) => e.repository === chart.repository && e.chart === chart.chart && e.version === chart.version);
}

/**
 * The binary (legacy `pubring.gpg`) form of an ASCII-armored OpenPGP key block: its base64 body, without the
 * armor headers and the `=XXXX` checksum line, decoded (what `gpg --dearmor` writes). Helm's `--keyring` reads this form.
 */
export function dearmor(armored: string): Buffer {
  const lines = armored.split(/\r?\n/);
  const begin = lines.findIndex((l) => l.startsWith('-----BEGIN PGP PUBLIC KEY BLOCK-----'));
  const end = lines.findIndex((l) => l.startsWith('-----END PGP PUBLIC KEY BLOCK-----'));
  if (begin < 0 || end < begin) throw new Error('dearmor: not an ASCII-armored OpenPGP public key block');
  const blank = lines.indexOf('', begin); // armor headers end at the first blank line
  const body = lines.slice(blank + 1, end).filter((l) => !l.startsWith('=')).join('');
  return Buffer.from(body, 'base64');
}

/**
 * What a `helm_release` of `chart` sets for provenance: `verify` and `keyring` (a path relative to the stack's
 * folder, where Terraform runs) when the lock says its publisher signs this version; nothing otherwise (`verify`
 * on an unsigned chart fails the install: there is no `.prov` to fetch). The keyring is one asset per key and stack.
 */
export function chartVerification(scope: Construct, chart: { repository: string; chart: string; version: string }): { verify?: true; keyring?: string } {
  const entry = lockedChart(chart);
  if (!entry || typeof entry.provenance === 'string') return {};
  return { verify: true, keyring: `./${path.posix.join(keyringAsset(scope, entry.provenance).path, 'pubring.gpg')}` };
}

function keyringAsset(scope: Construct, provenance: PgpProvenance): DirectoryAsset {
  const stack = TerraformStack.of(scope);
  const id = `HelmKeyring-${provenance.pgp.slice(-16)}`;
  const existing = stack.node.tryFindChild(id) as DirectoryAsset | undefined;
  if (existing) return existing;
  const armored = PUBLISHER_KEYS[provenance.key];
  if (armored === undefined) throw new Error(`chart-lock: no key module ${provenance.key} for fingerprint ${provenance.pgp}`);
  const keyring = dearmor(armored);
  const assetHash = createHash('sha256').update(keyring).digest('hex').slice(0, 32);
  return new DirectoryAsset(stack, id, { assetHash, write: (dir) => writeFiles(dir, { 'pubring.gpg': keyring }) });
}
