// Four suites with different needs: unit tests sit beside the code and need nothing;
// workflow tests need the time-skipping server; integration tests need the real stack;
// production tests need the production topology.
// The project's own restic, rclone and weed (installed by scripts/setup.sh) come first on
// PATH for every test and every process a test starts.
const path = require('node:path');
process.env.PATH = [path.join(__dirname, '.tools', 'bin'), path.join(__dirname, '.tools', 'venv', 'bin'), process.env.PATH].join(path.delimiter);

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
      globalSetup: '<rootDir>/test/workflow/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/workflow/support/global-teardown.ts',
      testMatch: ['**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration'],
      globalSetup: '<rootDir>/test/integration/global-setup.ts',
      testMatch: ['**/*.test.ts'],
    },
    {
      // The production topology (test/production/support/topology.ts): the Temporal server
      // built from the Go module proxy, two APIs, two server workers, three agents.
      ...common,
      displayName: 'production',
      roots: ['<rootDir>/test/production'],
      globalSetup: '<rootDir>/test/integration/global-setup.ts',
      testMatch: ['**/*.test.ts'],
    },
  ],
};
