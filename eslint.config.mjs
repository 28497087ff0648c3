// Lint rules that guard the architecture: no floating promises anywhere, and the walls between
// rooms (lint/rooms.mjs): which process's code may import which; workflows import only the contract.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { roomsConfig } from './lint/rooms.mjs';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tools/**', 'data/**', 'contract/generated/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  // The walls between rooms (agent, server, shared, contract, workflows): lint/rooms.mjs.
  roomsConfig,
);
