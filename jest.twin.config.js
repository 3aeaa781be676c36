/** The digital twin (test/twin): a real control plane with kwok nodes per example platform (scripts/test-twin.sh). */
module.exports = { ...require('./jest.base'), roots: ['<rootDir>/test/twin'], testTimeout: 300000 };
