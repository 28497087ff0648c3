// How each workflow moves between releases when the server workers run with Worker
// Versioning (BACKSTOP_WORKER_BUILD_ID; docs/runbooks/upgrade.md). Unversioned workers
// ignore it. One table, typed by the workflow references, so a new workflow cannot be added
// without deciding.
//
// PINNED: a run ends on the release it started on. Its next release may change it in any
//   way, patched() or not: the old release's workers keep running until its last run ends
//   (they "drain"), and only then are they stopped. Right for runs: bounded (minutes to
//   hours; a restore waiting for approval or a notification being retried, a day at most).
// AUTO_UPGRADE: at its next task, a workflow moves to the release made current. Right for
//   the ones that never end on their own: a pinned repository lock (busy, it continues as
//   new on its version), the health watch (forever) or a mount in use would hold the old
//   release up indefinitely. The price: their changes must replay old histories, with
//   patched() as before versioning, and a rollback replays the new release's history on the
//   old code.
import type { VersioningBehavior } from '@temporalio/common';
import type { Workflows } from '../contract/workflows';

type WorkflowType = (typeof Workflows)[keyof typeof Workflows]['type'];

export const VERSIONING_BEHAVIOR: Readonly<Record<WorkflowType, VersioningBehavior>> = {
  backupWorkflow: 'PINNED',
  // A run, bounded like a files backup; its view and bitmaps are its agent's, not the worker's.
  guestBackupWorkflow: 'PINNED',
  // Bounded like a file restore: the approval wait is capped by BACKSTOP_APPROVAL_TIMEOUT_MS.
  guestRestoreWorkflow: 'PINNED',
  // It may wait a day for an agent that is down: pinned, it would hold an old release up that long. One step, replays trivially.
  guestJobCleanupWorkflow: 'AUTO_UPGRADE',
  // An export may stay up for days (no TTL: until released): pinned, it would hold its
  // release's server workers up that long. Its daemon and hold step live on the agent, so a
  // new server worker simply carries on; its changes must replay (recorded histories).
  guestNbdExportWorkflow: 'AUTO_UPGRADE',
  // Bounded like a file restore, with no approval wait: a new directory overwrites nothing.
  containerRestoreWorkflow: 'PINNED',
  restoreWorkflow: 'PINNED',
  pruneWorkflow: 'PINNED',
  // Also as the prune's child: a pinned parent's child on the same task queue starts on the parent's version.
  s3SyncWorkflow: 'PINNED',
  dbRestoreWorkflow: 'PINNED',
  pluginTestWorkflow: 'PINNED',
  checkWorkflow: 'PINNED',
  drillWorkflow: 'PINNED',
  notificationDeliveryWorkflow: 'PINNED',
  repositoryLockWorkflow: 'AUTO_UPGRADE',
  notificationWatchWorkflow: 'AUTO_UPGRADE',
  // Its hold activity dies with the old release's worker and is retried (mounted again) on the new one, as after a crash.
  snapshotMountWorkflow: 'AUTO_UPGRADE',
  // Pinned as the other guest workflows: its mounts (loop devices, scratch image) live on the
  // worker that holds them, and a release's changes to it need no patched(). The price: a
  // guest file mount kept in use holds its release's workers up until it is unmounted or
  // idle for its TTL (24 h at most) — unmount it to drain.
  guestFileMountWorkflow: 'PINNED',
};
