// Pull mode on the server worker: mount the agent's export, run the engine on it, unmount.
//
// The mount, the engine's view of it and the engine itself live in one private mount
// namespace (pull-commands.ts) that dies with its last process: nothing is mounted where the
// rest of the machine could see it, and a killed worker leaves no mount behind (sshfs
// reads end-of-file on its channel and exits). Mount, engine run and unmount are one
// activity because the mount belongs to the process holding its connection: split, the
// engine step would have to be pinned to the worker that made the mount.
import { Context } from '@temporalio/activity';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { InputError } from '../../../contract/errors';
import type { BackupHeartbeat, BackupStepResult } from '../../../contract/backup-activities';
import type { BackupEngine, EngineLauncher, RepositoryAccess } from '../../../contract/engine';
import type { PullActivities, PullBackupInput } from '../../../contract/pull';
import type { Catalog } from '../../../catalog/catalog';
import type { SecretBox } from '../../../core/secrets';
import type { Logger } from '../../../core/logger';
import type { EngineProcessRegistry } from '../../shared/engines/orphans';
import { backupTags, resumeEarlierAttempt } from '../../shared/engines/backup-step';
import { withFailureMapping } from '../../shared/failure';
import { whileReportingProgress } from '../../shared/clock-heartbeat';
import { withRunLog, type RunLogTransport } from '../../shared/run-log-sink';
import { openRepository } from '../repository-access';
import { connectExport, ExportLostError, watchChannel, type ServerWorkerTls } from './export-client';
import { createServerRestore } from './server-restore';
import { engineRootOps, hiddenEngineNeeds, pullCommand, pullSetupFailure, type ServerDirEntry } from './pull-commands';

export interface PullDeps {
  catalog: Catalog;
  secrets: SecretBox;
  engine: BackupEngine;
  /** The engine's binary, cache and temporary directory: job paths may not hide them. */
  engineNeeds: string[];
  engineProcesses: EngineProcessRegistry;
  /** The server worker's certificate for export channels (a fresh key each start). */
  tls: () => Promise<ServerWorkerTls>;
  /** Where each run's mount point and engine root are made (empty directories). */
  workDir: string;
  logger: Logger;
  runLog?: RunLogTransport;
}

async function listServerDir(dir: string): Promise<ServerDirEntry[] | null> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.map((e) => ({ name: e.name, kind: e.isDirectory() ? 'dir' : e.isSymbolicLink() ? 'symlink' : e.isFile() ? 'file' : 'other' }));
  } catch {
    return null;
  }
}

export function createPullActivities(deps: PullDeps): PullActivities {
  const { engine, logger } = deps;

  async function runPullBackup(input: PullBackupInput): Promise<BackupStepResult> {
    const repo = await openRepository(deps.catalog, deps.secrets, input.repository.id);
    // A repository is an absolute path or an s3: URL (api/repository-location.ts).
    const local = isAbsolute(repo.url) ? [repo.url] : [];
    const hidden = hiddenEngineNeeds(input.paths, [...deps.engineNeeds, ...local, deps.workDir]);
    if (hidden.length > 0) {
      throw new InputError(`pull mode: job path ${hidden[0]!.path} would hide ${hidden[0]!.need}, which the engine needs on the server worker; back this job up in push mode`);
    }
    const log = logger.child({ runId: input.runId, workflowId: input.workflowId, attempt: Context.current().info.attempt });
    // The engine step's heartbeat: the progress the API shows.
    const beat: { latest: BackupHeartbeat } = { latest: { phase: 'starting', progress: null } };
    return withRunLog(
      deps.runLog,
      logger,
      input.runId,
      'engine',
      (runLog) => whileReportingProgress(() => beat.latest, () => pull(input, repo, log, (s, l) => runLog.line(s, l), beat)),
      [repo.password, ...Object.values(repo.env ?? {})],
    );
  }

  async function pull(input: PullBackupInput, repo: RepositoryAccess, log: Logger, line: (stream: 'stdout' | 'stderr', text: string) => void, beat: { latest: BackupHeartbeat }): Promise<BackupStepResult> {
    const ctx = Context.current();
    const dir = join(deps.workDir, input.runId);
    let socket: TLSSocket | undefined;
    try {
      const earlier = await resumeEarlierAttempt(engine, deps.engineProcesses, repo, { workflowId: input.workflowId, attempt: ctx.info.attempt }, log);
      if (earlier) return { snapshot: earlier, stats: null, unreadable: [], adopted: true };

      const ops = await engineRootOps(input.paths, listServerDir);
      await rm(dir, { recursive: true, force: true });
      const mountPoint = join(dir, 'export');
      const root = join(dir, 'root');
      await mkdir(mountPoint, { recursive: true, mode: 0o700 });
      await mkdir(root, { recursive: true, mode: 0o700 });

      socket = await connectExport(input.export, input.agentName, await deps.tls());
      const channel = watchChannel(socket, ctx.cancellationSignal);
      const launcher: EngineLauncher = {
        wrap: (command, args) => pullCommand(mountPoint, root, join(dir, 'sshfs.log'), ops, command, args),
        attach: channel.attach,
        failure: pullSetupFailure,
      };

      beat.latest = { phase: 'backing-up', progress: null };
      let outcome;
      try {
        outcome = await engine.backup(
          repo,
          { paths: input.paths, excludes: input.excludes, tags: backupTags(input.workflowId, input.jobId, input.extraTags), host: input.agentName, ignoreInode: true },
          {
            signal: channel.signal,
            launcher,
            onSpawn: (pid) => deps.engineProcesses.record(input.workflowId, pid),
            onProgress: (progress) => {
              beat.latest = { phase: 'backing-up', progress };
            },
            onLog: line,
          },
        );
      } catch (err) {
        if (channel.lost()) throw new ExportLostError(`the agent export's connection broke while the engine read it (${(err as Error).message})`);
        throw err;
      } finally {
        channel.done();
      }
      deps.engineProcesses.clear(input.workflowId);
      if (channel.lost()) {
        // restic finished just as the connection went: what it saved may lack what it could not read.
        await engine.forgetSnapshots(repo, [outcome.snapshot.id]);
        throw new ExportLostError('the agent export\'s connection broke while the engine read it; the snapshot it wrote was removed');
      }
      log.info({ snapshotId: outcome.snapshot.id, unreadable: outcome.unreadable.length }, 'pull backup finished');
      return { ...outcome, adopted: false };
    } finally {
      socket?.destroy();
      await rm(dir, { recursive: true, force: true }).catch((err: unknown) => log.warn({ err }, 'could not remove the pull work directory'));
    }
  }

  return withFailureMapping({ runPullBackup, ...createServerRestore(deps) });
}

