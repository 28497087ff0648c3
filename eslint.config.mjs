// Lint rules that guard the architecture: no floating promises anywhere, and no Node
// modules or activity implementations inside workflows (the sandbox must stay deterministic).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeModules = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tools/**', 'data/**', 'contract/generated/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeModules.map((name) => ({ name, message: 'workflows must not use Node APIs: move the side effect into an activity' })),
          patterns: [
            { group: ['../activities/*', '!../activities/*.ts'], message: 'import activity types only (import type)', allowTypeImports: true },
            { group: ['pg', 'pino', 'express', '@temporalio/activity', '@temporalio/worker', '@temporalio/client'], message: 'not allowed in the workflow sandbox' },
          ],
        },
      ],
    },
  },
);
