// Starting a workflow by its contract reference (contract/workflows.ts): the type name and
// the input's type come from the reference, so no caller names a workflow by a string.
import type { Client, WorkflowHandle, WorkflowStartOptions } from '@temporalio/client';
import type { WorkflowRef } from '../contract/workflows';

export type StartOptions = Omit<WorkflowStartOptions, 'args'>;

/** Starts the workflow `workflow` names with `input` as its one argument. */
export function startWorkflow<I, R>(client: Client, workflow: WorkflowRef<string, I, R>, input: NoInfer<I>, options: StartOptions): Promise<WorkflowHandle<(input: I) => Promise<R>>> {
  return client.workflow.start<(input: I) => Promise<R>>(workflow.type, { ...options, args: [input] });
}
