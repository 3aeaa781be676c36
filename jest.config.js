/** The object tier: transpile-only jest over test/ (types are checked once by `npm run typecheck`). */
module.exports = {
  ...require('./jest.base'),
  roots: ['<rootDir>/test'],
  // test/system runs the real tools on what this suite synthesized: its own config, after this suite (scripts/test.sh).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/system/'],
  setupFilesAfterEnv: ['<rootDir>/test/setup/collect-synth.ts'],
};
