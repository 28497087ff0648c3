// The workflow bundle's entry: every workflow Backstop registers.
import type { WorkflowFunction, Workflows } from '../contract/workflows';
import { backupWorkflow } from './backup';
import { guestBackupWorkflow } from './guest-backup';
import { guestRestoreWorkflow } from './guest-restore';
import { guestJobCleanupWorkflow } from './guest-job-cleanup';
import { guestNbdExportWorkflow } from './guest-nbd-export';
import { containerRestoreWorkflow } from './container-restore';
import { restoreWorkflow } from './restore';
import { pruneWorkflow } from './prune';
import { repositoryLockWorkflow } from './repository-lock';
import { s3SyncWorkflow } from './s3-sync';
import { pluginTestWorkflow } from './plugin-test';
import { dbRestoreWorkflow } from './db-restore';
import { snapshotMountWorkflow } from './snapshot-mount';
import { guestFileMountWorkflow } from './guest-file-mount';
import { checkWorkflow } from './check';
import { drillWorkflow } from './drill';
import { notificationDeliveryWorkflow } from './notification-delivery';
import { notificationWatchWorkflow } from './notification-watch';

export { backupWorkflow, guestBackupWorkflow, guestRestoreWorkflow, guestJobCleanupWorkflow, guestNbdExportWorkflow, containerRestoreWorkflow, restoreWorkflow, pruneWorkflow, repositoryLockWorkflow, s3SyncWorkflow, pluginTestWorkflow, dbRestoreWorkflow, snapshotMountWorkflow, guestFileMountWorkflow, checkWorkflow, drillWorkflow, notificationDeliveryWorkflow, notificationWatchWorkflow };

/**
 * Each reference in contract/workflows.ts names a workflow registered here, with its
 * signature: a renamed workflow, a missing one or a changed input fails the typecheck.
 */
type Registered = { [K in keyof typeof Workflows as (typeof Workflows)[K]['type']]: WorkflowFunction<(typeof Workflows)[K]> };
const registered: Registered = { backupWorkflow, guestBackupWorkflow, guestRestoreWorkflow, guestJobCleanupWorkflow, guestNbdExportWorkflow, containerRestoreWorkflow, restoreWorkflow, pruneWorkflow, repositoryLockWorkflow, s3SyncWorkflow, pluginTestWorkflow, dbRestoreWorkflow, snapshotMountWorkflow, guestFileMountWorkflow, checkWorkflow, drillWorkflow, notificationDeliveryWorkflow, notificationWatchWorkflow };
void registered;
