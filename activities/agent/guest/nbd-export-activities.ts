// The agent's side of a guest disk's NBD export (issue 19, item 2): starting, holding and
// stopping the qemu-storage-daemon that serves a restored image (command line in
// nbd-export.ts). Each export's socket and pid file sit in one directory
// (`<state>/nbd-exports`), named from the export id, so every attempt of the same export —
// also after the agent was killed -9 and started again — finds the same socket and the
// daemon an earlier attempt left (its pid file, checked against /proc so a recycled pid is
// never killed), stops it and starts a fresh one on the same image.
import { Context, heartbeat } from '@temporalio/activity';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Logger } from '../../../core/logger';
import { BackstopError, ErrorType } from '../../../contract/errors';
import type { GuestNbdExportActivities, HoldNbdExportInput, ReleaseNbdExportInput, StartNbdExportInput, StartedNbdExport } from '../../../contract/guest-nbd-export';
import { runProcess } from '../../shared/process';
import { withFailureMapping } from '../../shared/failure';
import { withClockHeartbeat } from '../../shared/clock-heartbeat';
import { daemonArgs, exportFiles, exportPaths, exportUri, isExportDaemon, parsePidFile } from './nbd-export';

export interface NbdExportDeps {
  /** `<state>/nbd-exports`: sockets and pid files of this agent's exports. */
  exportDir: string;
  logger: Logger;
  /** How often the held daemon is looked at (and the activity heartbeats); default 1 s. */
  pollMs?: number;
  daemonBinary?: string;
}

const STOP_WAIT_MS = 10_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid of this export's daemon if one runs (its pid file names a live qemu-storage-daemon on this socket). */
export function runningDaemon(pidFile: string, socketPath: string): number | null {
  if (!existsSync(pidFile)) return null;
  const pid = parsePidFile(readFileSync(pidFile, 'utf8'));
  if (pid === null || !alive(pid)) return null;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return null;
  }
  return isExportDaemon(cmdline, socketPath) ? pid : null;
}

async function stopDaemon(pid: number): Promise<void> {
  const gone = async (ms: number) => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (!alive(pid)) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return !alive(pid);
  };
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  if (await gone(STOP_WAIT_MS)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await gone(STOP_WAIT_MS);
}

/** Stops an export's daemon if one runs, removes its socket, pid and workflow files. Returns the pid it stopped. */
async function clearExport(p: { socketPath: string; pidFile: string; workflowFile: string }): Promise<number | null> {
  const pid = runningDaemon(p.pidFile, p.socketPath);
  if (pid !== null) await stopDaemon(pid);
  rmSync(p.socketPath, { force: true });
  rmSync(p.pidFile, { force: true });
  rmSync(p.workflowFile, { force: true });
  return pid;
}

/**
 * At agent start, before it takes any task: the daemons of exports whose workflow is no longer
 * running (terminated, or ended while this agent was away and could not release) are stopped
 * and their files removed. An export whose workflow still runs is left alone: its hold times
 * out and its next start stops the old daemon and serves the image again.
 */
export async function sweepNbdExports(exportDir: string, isRunning: (workflowId: string) => Promise<boolean>, logger: Logger): Promise<number[]> {
  const stems = new Set<string>();
  try {
    for (const f of readdirSync(exportDir)) {
      const m = /^([0-9a-f]{1,16})\.(sock|pid|workflow)$/.exec(f);
      if (m) stems.add(m[1]!);
    }
  } catch {
    return [];
  }
  const stopped: number[] = [];
  for (const stem of stems) {
    const p = exportFiles(exportDir, stem);
    const workflowId = existsSync(p.workflowFile) ? readFileSync(p.workflowFile, 'utf8').trim() : '';
    if (workflowId && (await isRunning(workflowId))) continue;
    const pid = await clearExport(p);
    if (pid !== null) stopped.push(pid);
    logger.warn({ workflowId, pid }, 'stopped an NBD export whose workflow has ended');
  }
  return stopped;
}

export function createNbdExportActivities(deps: NbdExportDeps): GuestNbdExportActivities {
  const { logger } = deps;
  const paths = (exportId: string) => exportPaths(deps.exportDir, exportId);

  const clear = (exportId: string) => clearExport(paths(exportId));

  async function startGuestNbdExport(input: StartNbdExportInput): Promise<StartedNbdExport> {
    const p = paths(input.exportId);
    mkdirSync(deps.exportDir, { recursive: true, mode: 0o700 });
    // One daemon per export: whatever an earlier attempt (or a killed agent) left goes first.
    const replacedPid = await clear(input.exportId);
    if (replacedPid !== null) logger.warn({ exportId: input.exportId, pid: replacedPid }, 'stopped the NBD export daemon an earlier attempt left');
    if (!existsSync(input.image)) throw new BackstopError(ErrorType.notFound, `the restored image ${input.image} is gone: nothing to export`);
    const args = daemonArgs({ image: input.image, socketPath: p.socketPath, pidFile: p.pidFile, name: input.name, writable: input.writable });
    // Which workflow holds it: the sweep at agent start stops a daemon whose workflow is gone.
    writeFileSync(p.workflowFile, Context.current().info.workflowExecution?.workflowId ?? '');
    const r = await runProcess(deps.daemonBinary ?? 'qemu-storage-daemon', args, { signal: Context.current().cancellationSignal });
    const pid = existsSync(p.pidFile) ? parsePidFile(readFileSync(p.pidFile, 'utf8')) : null;
    if (r.exitCode !== 0 || pid === null) {
      if (pid !== null) await stopDaemon(pid);
      throw new Error(`qemu-storage-daemon did not start the export: ${r.stderrTail.trim() || `exit ${r.exitCode ?? r.signal}`}`);
    }
    logger.info({ exportId: input.exportId, pid, socketPath: p.socketPath, writable: input.writable }, 'guest disk exported over NBD');
    return { socketPath: p.socketPath, nbdUri: exportUri(p.socketPath, input.name), pid, replacedPid };
  }

  /**
   * Holds the export: heartbeats while its daemon runs. Fails (for the workflow to start it
   * again) when the daemon is gone; on cancellation stops it and removes its socket.
   */
  async function holdGuestNbdExport(input: HoldNbdExportInput): Promise<void> {
    const ctx = Context.current();
    const p = paths(input.exportId);
    const pollMs = deps.pollMs ?? 1_000;
    try {
      for (;;) {
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
        if (runningDaemon(p.pidFile, p.socketPath) !== input.pid) throw new Error(`the NBD export's daemon (pid ${input.pid}) is gone`);
        heartbeat();
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, pollMs);
          ctx.cancellationSignal.addEventListener('abort', () => {
            clearTimeout(t);
            resolve();
          }, { once: true });
        });
      }
    } finally {
      if (ctx.cancellationSignal.aborted) await clear(input.exportId).catch((err: unknown) => logger.error({ err, exportId: input.exportId }, 'could not stop the NBD export daemon'));
    }
  }

  async function releaseGuestNbdExport(input: ReleaseNbdExportInput): Promise<void> {
    const pid = await clear(input.exportId);
    if (input.removeImage) rmSync(input.removeImage, { force: true });
    logger.info({ exportId: input.exportId, stoppedPid: pid, removedImage: input.removeImage }, 'guest NBD export released');
  }

  return withFailureMapping({
    startGuestNbdExport: withClockHeartbeat(startGuestNbdExport),
    holdGuestNbdExport,
    releaseGuestNbdExport: withClockHeartbeat(releaseGuestNbdExport),
  });
}
