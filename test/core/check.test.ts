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
