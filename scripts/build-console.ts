// Builds the web console (console/, Preact) into dist/console, which the API serves under
// /ui/: one minified ES module and one stylesheet with content hashes in their names, and an
// index.html naming them. Prints the gzipped size and fails above the budget (issue 20:
// under 300 KiB gzipped). esbuild takes a fraction of a second, so setup builds every time.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';

const ROOT = join(__dirname, '..');
const OUT = join(ROOT, 'dist', 'console');
export const BUDGET_GZIP_BYTES = 300 * 1024;

async function main(): Promise<void> {
  const staging = `${OUT}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ['console/src/main.tsx'],
    tsconfig: 'console/tsconfig.json',
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: join(staging, 'assets'),
    entryNames: '[name]-[hash]',
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => join(ROOT, p));
  const js = outputs.find((p) => p.endsWith('.js'));
  const css = outputs.find((p) => p.endsWith('.css'));
  if (!js) throw new Error('esbuild wrote no JavaScript');
  const template = readFileSync(join(ROOT, 'console', 'index.html'), 'utf8');
  const html = template
    .replace('<!-- styles -->', css ? `<link rel="stylesheet" href="assets/${basename(css)}" />` : '')
    .replace('<!-- scripts -->', `<script type="module" src="assets/${basename(js)}"></script>`);
  writeFileSync(join(staging, 'index.html'), html);
  // Swapped in whole: an API starting meanwhile sees the old console or the new, never half.
  rmSync(OUT, { recursive: true, force: true });
  renameSync(staging, OUT);

  const files = [join(OUT, 'index.html'), ...outputs.map((p) => p.replace(staging, OUT))];
  const gzipped = files.reduce((sum, f) => sum + gzipSync(readFileSync(f), { level: 9 }).length, 0);
  const raw = files.reduce((sum, f) => sum + readFileSync(f).length, 0);
  console.log(`console: dist/console built, ${(raw / 1024).toFixed(1)} KiB, ${(gzipped / 1024).toFixed(1)} KiB gzipped (budget ${BUDGET_GZIP_BYTES / 1024} KiB)`);
  if (gzipped > BUDGET_GZIP_BYTES) throw new Error(`the console's bundle is ${gzipped} bytes gzipped, over the ${BUDGET_GZIP_BYTES}-byte budget`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
