// The time-skipping test server and a workflow bundle, as every workflow test file starts
// them: the server binary from .tools (never the SDK's download), a bundler that is quiet.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { toolPath } from '../../support/tools';
import { SearchAttribute } from '../../../core/names';

const quietLogger = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never;

const KEYWORD = 2;

export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: toolPath('temporal-test-server') } },
  });
  // Workflows upsert Backstop's search attributes; the test server knows only those it is
  // told of. 2 is IndexedValueType KEYWORD (the proto package is not a direct dependency).
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.values(SearchAttribute).map((name) => [name, KEYWORD])),
  });
  return env;
}

/** Bundles once per file; `workflowsPath` is a module exporting the workflows under test. */
export function bundleWorkflows(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: quietLogger });
}

/**
 * One time-skipping server and one bundle for a whole test file: registers the file's
 * beforeAll/afterAll and hands both out once they exist.
 */
export function timeSkippingSuite(workflowsPath: string): { readonly env: TestWorkflowEnvironment; readonly bundle: WorkflowBundleWithSourceMap } {
  let env: TestWorkflowEnvironment | undefined;
  let bundle: WorkflowBundleWithSourceMap | undefined;
  beforeAll(async () => {
    env = await startTimeSkipping();
    bundle = await bundleWorkflows(workflowsPath);
  });
  afterAll(async () => {
    await env?.teardown();
  });
  return {
    get env() {
      if (!env) throw new Error('the time-skipping server is not started yet (use it inside a test or hook)');
      return env;
    },
    get bundle() {
      if (!bundle) throw new Error('the workflows are not bundled yet (use them inside a test or hook)');
      return bundle;
    },
  };
}
