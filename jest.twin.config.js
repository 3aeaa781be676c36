/**
 * The digital twin (test/twin): a real control plane with kwok nodes per example stack, one test file per stack
 * (scripts/test-twin.sh, a step of `npm test`). Each file is a twin of its own (etcd, kube-apiserver, controllers,
 * kwok, Kueue: ~1.7 GB and mostly one core while it installs and rolls), so jest runs them in parallel, as many as
 * AIINFRA_TWIN_WORKERS (default 2: measured on the 2-core machine, test/twin/README.md Status).
 */
module.exports = {
  ...require('./jest.base'),
  roots: ['<rootDir>/test/twin'],
  testTimeout: 300000,
  maxWorkers: Number(process.env.AIINFRA_TWIN_WORKERS ?? 2),
};
