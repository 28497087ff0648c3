// The agent's pull-mode steps: open the run's export of its (frozen) paths, and close it.
import { Context } from '@temporalio/activity';
import { lstat, mkdir, readlink, realpath } from 'node:fs/promises';
import { withFailureMapping } from '../../shared/failure';
import { withClockHeartbeat } from '../../shared/clock-heartbeat';
import { checkBackupPaths } from '../backup-roots';
import { ancestorsOf, outermostPaths } from '../../shared/paths';
import type { AncestorMeta, ExportEntry } from './export-commands';
import type { ExportServer } from './export-server';
import type { ExportActivities, ExportEndpoint, StartExportInput, StartRestoreExportInput } from '../../../contract/pull';
import { InputError } from '../../../contract/errors';
import { recheckRestoreTarget } from '../../shared/restore-target';
import type { SnapshotHandle } from '../../../contract/snapshot';

export interface ExportDeps {
  exports: ExportServer;
  /** Where backup sources may lie (BACKSTOP_BACKUP_ROOTS); absent: anywhere. */
  backupRoots?: string[];
  /** Where restores may write (BACKSTOP_RESTORE_ROOTS): a restore export's target lies inside. */
  restoreRoots: string[];
}

/** What the export shows: each job path, read from its frozen copy when the snapshot has one. */
export async function exportEntries(handle: SnapshotHandle): Promise<ExportEntry[]> {
  const entries: ExportEntry[] = [];
  for (const path of outermostPaths(handle.readPaths)) {
    const source = handle.binds?.find((b) => b.original === path)?.snapshot ?? path;
    const st = await lstat(source);
    if (st.isSymbolicLink()) entries.push({ path, kind: 'symlink', source: await readlink(source) });
    else entries.push({ path, kind: st.isDirectory() ? 'dir' : 'file', source });
  }
  return entries;
}

/** The live directories above the job paths, so the export shows them as the engine would see them here. */
export async function ancestorMeta(paths: string[]): Promise<AncestorMeta[]> {
  const all = [...new Set(paths.flatMap(ancestorsOf))].sort();
  const out: AncestorMeta[] = [];
  for (const path of all) {
    const st = await lstat(path, { bigint: true });
    out.push({ path, uid: Number(st.uid), gid: Number(st.gid), mode: Number(st.mode), mtime: Number(st.mtimeNs) / 1e9 });
  }
  return out;
}

export function createExportActivities(deps: ExportDeps): ExportActivities {
  async function startExport(input: StartExportInput): Promise<ExportEndpoint> {
    const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
    const paths = input.handle.readPaths;
    await checkBackupPaths(paths, deps.backupRoots ?? ['/']);
    return deps.exports.start(input.runId, workflowId, await exportEntries(input.handle), await ancestorMeta(outermostPaths(paths)));
  }

  /** The target was checked before the run (maybe) waited for approval; checked again now, before tar writes into it. */
  async function startRestoreExport(input: StartRestoreExportInput): Promise<ExportEndpoint> {
    const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
    const resolved = await recheckRestoreTarget({ target: input.target, roots: deps.restoreRoots, snapshotId: input.snapshotId, now: new Date() });
    // A new target is made here, as restic would make it on the agent: tar writes into it.
    if (!resolved.existed) {
      await mkdir(input.target, { recursive: true, mode: 0o700 });
      if ((await realpath(input.target)) !== input.target) throw new InputError(`restore target ${input.target} changed while it was made; refusing`);
    }
    return deps.exports.startImport(input.runId, workflowId, input.target);
  }

  async function stopExport(input: { runId: string }): Promise<void> {
    await deps.exports.stop(input.runId);
  }

  return withFailureMapping({ startExport: withClockHeartbeat(startExport), startRestoreExport: withClockHeartbeat(startRestoreExport), stopExport: withClockHeartbeat(stopExport) });
}
