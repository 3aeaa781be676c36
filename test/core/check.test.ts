import { Token } from 'cdktf';
import { check, InvalidPropError, isLiteral } from '../../src/core/errors';

describe('check.objectPath / check.objectPrefix', () => {
  test('a relative path comes back without trailing slashes; a prefix with exactly one', () => {
    expect(check.objectPath('S', 'p', 'research/gpt-1b//')).toBe('research/gpt-1b');
    expect(check.objectPrefix('S', 'prefix', 'research')).toBe('research/');
    expect(check.objectPrefix('S', 'prefix', 'research/')).toBe('research/');
    expect(check.objectPrefix('S', 'prefix', undefined)).toBeUndefined();
  });

  test.each(['', '/abs', 'a//b', 'a/./b', 'a/../b', '..', 'a b', '/', 'x'.repeat(513)])('%#: a bad path is rejected, naming the prop', (bad) => {
    expect(() => check.objectPrefix('Stack/bucket', 'prefix', bad)).toThrow(InvalidPropError);
    expect(() => check.objectPath('Stack/bucket', 'model(path)', bad)).toThrow(/Stack\/bucket: invalid model\(path\)/);
  });
});

test('isLiteral tells synth-time values from Terraform references', () => {
  expect(isLiteral('acme-models')).toBe(true);
  expect(isLiteral(Token.asString({ ref: 1 }))).toBe(false);
});

describe('check.ipv4 (every CIDR and address prop: cluster networks, endpoint and Key Vault allow-lists)', () => {
  const cidr = { prefix: 'required' as const, allowed: 'an IPv4 CIDR' };
  const addressOrCidr = { prefix: 'optional' as const, allowed: 'an IPv4 address or CIDR' };

  test('accepts CIDRs, bare addresses where a prefix is optional, and undefined', () => {
    for (const ok of ['10.0.0.0/16', '0.0.0.0/0', '203.0.113.7/32', '255.255.255.255/8']) expect(() => check.ipv4('S', 'p', ok, cidr)).not.toThrow();
    expect(() => check.ipv4('S', 'p', '203.0.113.7', addressOrCidr)).not.toThrow();
    expect(() => check.ipv4('S', 'p', undefined, cidr)).not.toThrow();
    expect(() => check.ipv4('S', 'p', '10.0.0.0/20', { ...cidr, maxPrefix: 20 })).not.toThrow();
  });

  test.each([
    ['203.0.113.7', cidr], ['256.0.0.0/8', cidr], ['10.0.0.0/33', cidr], ['10.0.0/16', cidr], ['10.0.0.0/16 ', cidr],
    ['10.0.0.0/24', { ...cidr, maxPrefix: 20 }], ['203.0.113.0/31', { ...addressOrCidr, maxPrefix: 30 }], ['999.1.1.1', addressOrCidr],
  ])('%s is rejected, naming the construct, the prop and what is allowed', (bad, options) => {
    expect(() => check.ipv4('Stack/cluster', 'network.cidr', bad, options)).toThrow(InvalidPropError);
    expect(() => check.ipv4('Stack/cluster', 'network.cidr', bad, options)).toThrow(new RegExp(`Stack/cluster: invalid network\\.cidr.*${options.allowed}`));
  });

  test('a non-string is rejected, not crashed on', () => {
    expect(() => check.ipv4('S', 'p', 42 as unknown as string, cidr)).toThrow(InvalidPropError);
  });
});
