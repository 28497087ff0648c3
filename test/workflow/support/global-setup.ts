// Jest global setup of the workflow project, once per run before any test file:
//
// 1. Bundles the workflow code the tests run, once: each test file would otherwise bundle it
//    again (seconds of webpack each). The bundles are built from the sources of this run, so
//    they are never stale; files find them through BACKSTOP_TEST_WORKFLOW_BUNDLES.
//
// 2. Opens Temporal's native bridge once for the process, outside any test. The bridge (a
//    Neon addon, loaded once per process) creates two threadsafe functions on its first
//    asynchronous call and keeps them for the life of the process. They are unreferenced,
//    so they never hold the process open, but jest's --detectOpenHandles cannot ask a native
//    handle whether it is referenced and would report them against whichever test made
//    that first call. Made here, that call belongs to the process; what the detector then
//    reports is what a test left open. The call is a connection attempt to a closed port: it
//    fails in a few milliseconds and leaves nothing behind.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { BUNDLES_ENV, bundleWorkflows, WORKFLOW_ENTRY_POINTS } from './bundles';

export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-workflow-bundles-'));
  const paths: Record<string, string> = {};
  for (const entry of WORKFLOW_ENTRY_POINTS) {
    const bundle = await bundleWorkflows(entry);
    const codePath = join(dir, `${Object.keys(paths).length}.js`);
    writeFileSync(codePath, bundle.code);
    paths[entry] = codePath;
  }
  process.env[BUNDLES_ENV] = JSON.stringify({ dir, paths });

  await NativeConnection.connect({ address: '127.0.0.1:1' }).then(
    (c) => c.close(),
    () => undefined,
  );
}
