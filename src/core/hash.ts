import { createHash } from 'crypto';

/** A short stable hash (hex). Same input, same output on every machine: names never use randomness. */
export function stableHash(input: string, length = 8): string {
  return createHash('sha256').update(input).digest('hex').slice(0, length);
}
