import { InvalidPropError } from '../src/core/errors';

/** Runs fn, expects an InvalidPropError whose message matches every pattern, and returns it. */
export function expectInvalid(fn: () => unknown, ...matches: RegExp[]): InvalidPropError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(InvalidPropError);
  for (const m of matches) expect((err as Error).message).toMatch(m);
  return err as InvalidPropError;
}
