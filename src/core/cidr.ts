// IPv4 CIDR arithmetic at synth time, for ranges the library lays out itself (subnets of a new VPC) and for
// NetworkPolicy ipBlocks that must exclude the pod network. Inputs are checked by `check.ipv4` first.

interface Range {
  /** First address as an unsigned 32-bit number. */
  readonly base: number;
  readonly prefix: number;
}

function parse(cidr: string): Range {
  const [address, bits] = cidr.split('/');
  const octets = address.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255) || bits === undefined) {
    throw new Error(`not an IPv4 CIDR: ${cidr}`);
  }
  const prefix = Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const value = octets.reduce((acc, o) => acc * 256 + o, 0);
  return { base: value - (value % size(prefix)), prefix };
}

function size(prefix: number): number {
  return 2 ** (32 - prefix);
}

function format(r: Range): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(r.base / 2 ** shift) % 256);
  return `${octets.join('.')}/${r.prefix}`;
}

/** Terraform's `cidrsubnet(prefix, newbits, netnum)`, computed here so the result can go into Kubernetes manifests. */
export function cidrSubnet(cidr: string, newBits: number, netNum: number): string {
  const r = parse(cidr);
  const prefix = r.prefix + newBits;
  if (prefix > 32 || netNum < 0 || netNum >= 2 ** newBits) throw new Error(`cidrSubnet(${cidr}, ${newBits}, ${netNum}): out of range`);
  return format({ base: r.base + netNum * size(prefix), prefix });
}

/** True when every address of `inner` is in `outer` (equal ranges included). */
export function cidrContains(outer: string, inner: string): boolean {
  const o = parse(outer);
  const i = parse(inner);
  return i.prefix >= o.prefix && i.base >= o.base && i.base + size(i.prefix) <= o.base + size(o.prefix);
}

/** True when the two ranges share an address. */
export function cidrsOverlap(a: string, b: string): boolean {
  return cidrContains(a, b) || cidrContains(b, a);
}
