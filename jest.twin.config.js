/**
 * The digital twin (test/twin): one test file per example stack, each a twin of its own (etcd, kube-apiserver,
 * controllers, kwok, Kueue: ~1.7 GB), run by scripts/test-twin.sh as a step of `npm test`. Two at a time: on the
 * 2-core machine all five took 283 s with two workers and 289 s with three (load average 13 instead of 3-5;
 * test/twin/README.md Status). `bash scripts/test-twin.sh --maxWorkers=N` overrides it.
 */
module.exports = { ...require('./jest.base'), roots: ['<rootDir>/test/twin'], testTimeout: 300000, maxWorkers: 2 };
