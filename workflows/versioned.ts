// The workflow bundle's entry for versioned server workers (BACKSTOP_WORKER_BUILD_ID): every
// workflow of ./index, each declaring how it moves between releases (./versioning.ts). A
// separate entry, bundled beside the plain one (scripts/build.sh), because Temporal rejects
// a workflow task completed with a declared behavior by an unversioned worker: the embedded
// stack and unversioned deployments load ./index as before.
import { setWorkflowOptions } from '@temporalio/workflow';
import * as workflows from './index';
import { VERSIONING_BEHAVIOR } from './versioning';

export * from './index';

for (const [type, behavior] of Object.entries(VERSIONING_BEHAVIOR) as Array<[keyof typeof VERSIONING_BEHAVIOR, (typeof VERSIONING_BEHAVIOR)[keyof typeof VERSIONING_BEHAVIOR]]>) {
  setWorkflowOptions({ versioningBehavior: behavior }, workflows[type] as (...args: never[]) => Promise<unknown>);
}
