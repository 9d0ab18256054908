/**
 * Test files are TypeScript (ts-jest, transpile only). They import the library as `../lib`, i.e. its
 * built `dist/` (the code the CLI and notebooks run): `npm test` builds it first.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { isolatedModules: true } }] },
  testTimeout: 120000,
  // Several suites capture on loopback port 8080: run suites one at a time.
  maxWorkers: 1,
};
