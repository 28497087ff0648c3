// Another release of Backstop beside this checkout, as the operator's next image would be:
// the image's working directory (deploy/Dockerfile: package.json, node_modules, dist/, the
// OpenAPI spec, the catalog migrations) with the compiled code copied from this checkout and
// its own workflow bundle for versioned server workers. A process started in it runs the
// same command line as the image, `node dist/cli/main.js …`, and loads the bundle beside its
// dist/ (workers/server/server-worker.ts).
import { cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../support/tools';

/**
 * Lays out the release in `dir` (which must not exist yet) with `versionedWorkflowBundle` as
 * the bundle a server worker with a build id loads; returns `dir`.
 */
export function makeRelease(dir: string, versionedWorkflowBundle: string): string {
  mkdirSync(join(dir, 'openapi'), { recursive: true });
  mkdirSync(join(dir, 'catalog'));
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  cpSync(join(ROOT, 'openapi', 'backstop.yaml'), join(dir, 'openapi', 'backstop.yaml'));
  cpSync(join(ROOT, 'catalog', 'migrations'), join(dir, 'catalog', 'migrations'), { recursive: true });
  // The dependencies are the same in both releases: linked, not copied (hundreds of MB).
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'dist', 'workflow-bundle-versioned.js'), versionedWorkflowBundle);
  return dir;
}
