/** The real-tool tier (test/system): terraform on every synthesized stack, the cross-stack apply/plan. */
module.exports = { ...require('./jest.base'), roots: ['<rootDir>/test/system'], testTimeout: 300000 };
