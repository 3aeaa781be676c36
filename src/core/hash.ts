import { createHash } from 'crypto';
import { IConstruct } from 'constructs';
import { DefaultTokenResolver, StringConcat, TerraformStack, Tokenization } from 'cdktf';

/** A short stable hash (hex). Same input, same output on every machine: names never use randomness. */
export function stableHash(input: string, length = 8): string {
  return createHash('sha256').update(input).digest('hex').slice(0, length);
}

/**
 * `stableHash` of a value that may hold tokens: hashed as resolved Terraform (references as their
 * `${type.name.attr}` expressions), never as token numbers that depend on construction order.
 */
export function resolvedHash(scope: IConstruct, value: unknown, length = 8): string {
  const resolved = Tokenization.resolve(value, { scope: TerraformStack.of(scope), preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) });
  return stableHash(JSON.stringify(resolved), length);
}
