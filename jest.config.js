/** The object tier: transpile-only jest over test/ (types are checked once by `npm run typecheck`). */
module.exports = {
  ...require('./jest.base'),
  roots: ['<rootDir>/test'],
  // test/system runs the real tools on what this suite synthesized, test/twin the digital twin: their own configs,
  // after this suite (scripts/test.sh).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/system/', '<rootDir>/test/twin/'],
  setupFilesAfterEnv: ['<rootDir>/test/setup/collect-synth.ts'],
};
