// Three suites with different needs: unit tests sit beside the code and need nothing;
// workflow tests need the time-skipping server; integration tests need the real stack.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
const common = { testEnvironment: 'node', transform, moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/', '<rootDir>/.tools/', '<rootDir>/data/', '<rootDir>/bench/'],
    },
    {
      ...common,
      displayName: 'workflow',
      roots: ['<rootDir>/test/workflow'],
      testMatch: ['**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration'],
      testMatch: ['**/*.test.ts'],
    },
  ],
};
