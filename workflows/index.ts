// The workflow bundle's entry: every workflow Backstop registers.
export { backupWorkflow } from './backup';
