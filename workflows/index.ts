// The workflow bundle's entry: every workflow Backstop registers.
export { backupWorkflow } from './backup';
export { restoreWorkflow } from './restore';
export { pruneWorkflow } from './prune';
export { repositoryLockWorkflow } from './repository-lock';
export { s3SyncWorkflow } from './s3-sync';
export { pluginTestWorkflow } from './plugin-test';
export { dbRestoreWorkflow } from './db-restore';
