// Workflow bundles for the workflow tests: built once per run by global-setup.ts, found here
// by the module they were built from.
import { resolve } from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';

export const BUNDLES_ENV = 'BACKSTOP_TEST_WORKFLOW_BUNDLES';

/** The modules whose workflows the tests run: Backstop's, and Backstop's plus a lock holder. */
export const WORKFLOW_ENTRY_POINTS = [resolve(__dirname, '..', '..', '..', 'workflows', 'index.ts'), resolve(__dirname, 'lock-holder.ts')];

const quietLogger = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never;

export async function bundleWorkflows(workflowsPath: string): Promise<{ code: string }> {
  return bundleWorkflowCode({ workflowsPath, logger: quietLogger });
}

/** The prebuilt bundle of `workflowsPath` if global setup made one, else a bundle built now. */
export async function workflowBundle(workflowsPath: string): Promise<WorkflowBundleOption> {
  const raw = process.env[BUNDLES_ENV];
  const codePath = raw ? (JSON.parse(raw) as { paths: Record<string, string> }).paths[workflowsPath] : undefined;
  return codePath ? { codePath } : bundleWorkflows(workflowsPath);
}
