/** Tests run the TypeScript sources directly (ts-jest, transpile only; `npm run build` type-checks). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { isolatedModules: true } }] },
  testTimeout: 120000,
  // Several suites capture on loopback port 8080: run suites one at a time.
  maxWorkers: 1,
};
