// What release N+1 of test/production/support/upgrade-workflows.ts leaves on every backup it
// runs (a memo, shown by describe), so the test tells the two releases' runs apart.
export const RELEASE_MEMO_KEY = 'backstopTestRelease';
export const RELEASE_MEMO_VALUE = 'n+1';
