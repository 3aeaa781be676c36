import { IConstruct } from 'constructs';
import { TerraformProvider, TerraformStack, Token } from 'cdktf';
import { assertOneCore } from './one-core';

/**
 * Finds or makes the provider a construct needs. Reuses the stack's own default provider of that type
 * when it fits (the user's, or one we added before); otherwise adds exactly one, aliased when a default
 * already exists for another region. Never two default providers of one kind in a stack.
 */
export function providerFor<P extends TerraformProvider>(
  scope: IConstruct,
  terraformType: string,
  key: string,
  fits: (p: P) => boolean,
  make: (stack: TerraformStack, id: string, alias: string | undefined) => P,
): P {
  assertOneCore(scope);
  const stack = TerraformStack.of(scope);
  const existing = stack.node.findAll().filter(
    (c): c is P => TerraformProvider.isTerraformProvider(c) && (c as TerraformProvider).terraformResourceType === terraformType,
  );
  const defaults = existing.filter((p) => p.alias === undefined);
  const match = existing.find((p) => (p.alias === undefined || p.alias === key) && fits(p));
  const alias = defaults.length > 0 ? key : undefined;
  const provider = match ?? make(stack, alias ? `${terraformType}-${key}` : terraformType, alias);
  assertOneCore(provider); // a provider package with its own nested copy of the core
  return provider;
}

/** True when a provider's attribute is unset, unresolved (a token) or equal to `want`. */
export function attributeFits(value: string | undefined, want: string): boolean {
  return value === undefined || Token.isUnresolved(value) || value === want;
}
