// Release N+1 of the workflows for test/production/upgrade.test.ts: Backstop's versioned
// entry, with the backup changed as a careless release would change it, incompatibly with
// histories release N wrote (the test replays one to show it): before anything else it sets
// a memo (visible in describe) and waits on a timer, commands release N never issued there.
// This backup declares no versioning behavior, so the worker's default (PINNED) applies.
import { sleep, upsertMemo } from '@temporalio/workflow';
import { backupWorkflow as releasedBackup } from '../../../workflows/versioned';
import type { BackupWorkflowInput, BackupWorkflowResult } from '../../../contract/workflows';
import { RELEASE_MEMO_KEY, RELEASE_MEMO_VALUE } from './upgrade-marker';

// Every other workflow as released: a local export shadows the star export of the same name.
export * from '../../../workflows/versioned';

export async function backupWorkflow(input: BackupWorkflowInput): Promise<BackupWorkflowResult> {
  upsertMemo({ [RELEASE_MEMO_KEY]: RELEASE_MEMO_VALUE });
  await sleep(1);
  return releasedBackup(input);
}
