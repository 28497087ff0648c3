// Only the walls, for lint/rooms.test.ts: it lints probe files laid out like the repository
// in a temporary directory, without the type-aware rules that need the real project.
import tseslint from 'typescript-eslint';
import { roomsConfig } from './rooms.mjs';

export default [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, roomsConfig];
