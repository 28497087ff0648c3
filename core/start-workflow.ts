// Starting a workflow by its contract reference (contract/workflows.ts): the type name and
// the input's type come from the reference, so no caller names a workflow by a string.
import type { Client, WorkflowHandle, WorkflowStartOptions } from '@temporalio/client';
import type { WorkflowFunction, WorkflowRef } from '../contract/workflows';

/** Starts the workflow `workflow` names with `input` as its one argument. */
export function startWorkflow<I, R>(client: Client, workflow: WorkflowRef<string, I, R>, input: NoInfer<I>, options: Omit<WorkflowStartOptions, 'args'>): Promise<WorkflowHandle<WorkflowFunction<typeof workflow>>> {
  return client.workflow.start<WorkflowFunction<typeof workflow>>(workflow.type, { ...options, args: [input] });
}
