// Removes the workflow bundles global-setup.ts wrote.
import { rmSync } from 'node:fs';
import { BUNDLES_ENV } from './bundles';

export default function globalTeardown(): void {
  const raw = process.env[BUNDLES_ENV];
  if (raw) rmSync((JSON.parse(raw) as { dir: string }).dir, { recursive: true, force: true });
}
