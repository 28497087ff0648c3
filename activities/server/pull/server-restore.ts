// A restore with the engine on the server worker (via: server): the target agent opens an
// import into its checked restore target (activities/agent/export/import-commands.ts), and
// the server worker streams the snapshot there as a tar archive (`restic dump`) over the
// run's mTLS channel, then streams it again for GNU tar to compare with what was written.
// The agent never holds the repository's secret; the password stays in this worker's engine
// environment.
//
// A retry (this worker killed, the channel lost) streams again; tar replaces what is there,
// so a restore into a new directory or with `always` converges. Policies whose decisions a
// half-written file could mislead (`never`, `if-newer`) never come here (the API refuses them).
import { Context } from '@temporalio/activity';
import { Writable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { BackstopError, ErrorType, InputError } from '../../../contract/errors';
import type { RestoreSummary, RepositoryAccess } from '../../../contract/engine';
import { parseImportStatus, type ImportMode, type ImportStatus, type ServerRestoreInput } from '../../../contract/pull';
import type { RestoreHeartbeat } from '../../../contract/restore-activities';
import { withRunLog, type RunLogSink } from '../../shared/run-log-sink';
import { whileReportingProgress } from '../../shared/clock-heartbeat';
import { outermostPaths } from '../../shared/paths';
import { hasGlob } from '../../shared/restore-target';
import { openRepository } from '../repository-access';
import { connectExport, ExportLostError, watchChannel } from './export-client';
import type { PullDeps } from './pull-activities';

/** GNU tar's default record: 20 blocks of 512 bytes. */
const TAR_RECORD_BYTES = 10_240;

/** Whether a policy converges when the same restore simply runs again after a crash. */
export function convergesOnRerun(overwrite: ServerRestoreInput['overwrite']): boolean {
  return overwrite === null || overwrite === 'always';
}

/**
 * What to stream: the whole snapshot (`/`, with the directories above its paths) or, with
 * includes, each included path — absolute paths without globs only: restic's dump takes a
 * path, not a pattern (the API refuses the others for server restores).
 */
export function archivePaths(include: string[]): string[] {
  if (include.length === 0) return ['/'];
  const bad = include.find((p) => !p.startsWith('/') || hasGlob(p));
  if (bad !== undefined) throw new InputError(`a server restore takes absolute include paths without globs; ${JSON.stringify(bad)} needs via "agent"`);
  return outermostPaths(include);
}

export function createServerRestore(deps: PullDeps): { runServerRestore(input: ServerRestoreInput): Promise<RestoreSummary> } {
  async function runServerRestore(input: ServerRestoreInput): Promise<RestoreSummary> {
    if (!convergesOnRerun(input.overwrite)) throw new InputError(`overwrite ${input.overwrite} needs the engine on the target agent (via "agent"): its crash-resume plan works where the files are`);
    const paths = archivePaths(input.include);
    const ctx = Context.current();
    const log = deps.logger.child({ runId: input.runId, workflowId: input.workflowId, attempt: ctx.info.attempt });
    const repo = await openRepository(deps.catalog, deps.secrets, input.repository.id);

    return withRunLog(
      deps.runLog,
      deps.logger,
      input.runId,
      'restore',
      async (runLog) => {
        const started = Date.now();
        let phase: RestoreHeartbeat['phase'] = 'starting';
        let bytes = 0;
        let members = 0;
        // Derived when a heartbeat goes out, not per chunk streamed.
        const details = (): RestoreHeartbeat => ({
          phase,
          progress: phase === 'starting' ? null : { percent: 0, filesDone: members, filesTotal: 0, bytesDone: bytes, bytesTotal: 0, currentFile: null, secondsElapsed: (Date.now() - started) / 1000 },
        });
        return whileReportingProgress(details, async () => {
          // A restic left by a killed attempt would still be streaming into the agent.
          const stopped = await deps.engineProcesses.stopLeftover(input.workflowId, input.snapshotId);
          if (stopped) {
            log.warn({ pid: stopped }, 'stopped restore process left by an earlier attempt');
            await deps.engine.unlockStale(repo);
          }
          phase = 'restoring';
          for (const path of paths) {
            const status = await stream(input, repo, path, 'extract', runLog, (n) => (bytes += n));
            if (status.exitCode !== 0) throw new BackstopError(ErrorType.engine, `tar on ${input.agentName} could not write ${path} into ${input.target} (exit ${status.exitCode}): ${lastLines(status.output)}`);
            members += status.members;
          }
          if (input.verify) {
            for (const path of paths) {
              const status = await stream(input, repo, path, 'compare', runLog, () => undefined);
              if (status.exitCode !== 0) throw new BackstopError(ErrorType.engine, `verification failed: what ${input.agentName} holds in ${input.target} differs from the snapshot: ${lastLines(status.output)}`);
            }
          }
          deps.engineProcesses.clear(input.workflowId);
          log.info({ target: input.target, members, bytes }, 'server restore finished');
          return { filesTotal: members, filesRestored: members, filesSkipped: 0, filesDeleted: 0, bytesTotal: bytes, bytesRestored: bytes, bytesSkipped: 0, verified: input.verify };
        });
      },
      [repo.password, ...Object.values(repo.env ?? {})],
    );
  }

  /** One connection: the request line, the archive of `path`, and the agent's answer once its tar has ended. */
  async function stream(input: ServerRestoreInput, repo: RepositoryAccess, path: string, mode: ImportMode, runLog: RunLogSink, onBytes: (n: number) => unknown): Promise<ImportStatus> {
    const ctx = Context.current();
    const socket: TLSSocket = await connectExport(input.export, input.agentName, await deps.tls());
    const channel = watchChannel(socket, ctx.cancellationSignal);
    const engineStop = new AbortController();
    channel.signal.addEventListener('abort', () => engineStop.abort(), { once: true });
    try {
      const answer = readAnswer(socket);
      socket.write(`${mode}\n`);
      // Writes wait for the channel (backpressure), so restic never runs ahead of the agent.
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          onBytes(chunk.length);
          if (socket.write(chunk)) done();
          else socket.once('drain', () => done());
        },
      });
      // tar ends at the archive's end marker and answers; an early answer is a failure: stop restic.
      const early = answer.then((s) => {
        if (s.exitCode !== 0) engineStop.abort();
        return s;
      });
      // Raced below; a late rejection (the channel closing after a cancellation) is no news.
      early.catch(() => undefined);
      let dumped: unknown = null;
      await deps.engine
        .dumpArchive(repo, input.snapshotId, path, sink, {
          signal: engineStop.signal,
          onSpawn: (pid) => deps.engineProcesses.record(input.workflowId, pid),
          onLog: (s, l) => runLog.line(s, l),
        })
        .catch((err: unknown) => (dumped = err));
      // GNU tar reads a pipe in whole records (10 KiB) and restic does not pad its archive to
      // one: a record of zeros after the end marker lets tar see the end and answer.
      if (!dumped) socket.write(Buffer.alloc(TAR_RECORD_BYTES));
      const status = await Promise.race([early, lostOrCancelled(channel.signal)]).catch((err: unknown) => {
        throw channel.lost() ? new ExportLostError(`the agent's import connection broke while the engine wrote to it (${(err as Error).message})`) : err;
      });
      if (status.exitCode === 0 && dumped) throw dumped;
      return status;
    } finally {
      channel.done();
      socket.destroy();
    }
  }

  return { runServerRestore };
}

function lostOrCancelled(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    const fail = () => reject(new Error('cancelled, or the channel closed, before the agent answered'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

/** The agent's one-line answer (import-commands.ts ImportStatus). */
function readAnswer(socket: TLSSocket): Promise<ImportStatus> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl < 0) {
        if (buf.length > 64_000) finish(new Error('the agent answered with something that is not an import status'));
        return;
      }
      const status = parseImportStatus(buf.slice(0, nl));
      finish(status ?? new Error('the agent answered with something that is not an import status'));
    };
    const onClose = () => finish(new Error('the channel closed before the agent answered'));
    const finish = (r: ImportStatus | Error) => {
      socket.off('data', onData);
      socket.off('close', onClose);
      if (r instanceof Error) reject(r);
      else resolve(r);
    };
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-5).join(' / ') || 'no message';
}

