// Where this checkout (or installed copy) of Backstop lives: the directory of its
// package.json. Code runs from the sources (tsx) or from dist/ (compiled), so paths to files
// that are not compiled (the OpenAPI spec, SQL migrations, .tools) start here, not at
// __dirname.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | undefined;

export function projectRoot(): string {
  if (cached) return cached;
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'backstop') return (cached = dir);
    if (dirname(dir) === dir) throw new Error(`no Backstop package.json above ${__dirname}`);
  }
}
