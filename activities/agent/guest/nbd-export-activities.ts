// The agent's side of a guest disk's NBD export (issue 19, item 2): starting, holding and
// stopping the qemu-storage-daemon that serves a restored image (command line in
// nbd-export.ts). Each export's socket and pid file sit in one directory
// (`<state>/nbd-exports`), named from the export id, so every attempt of the same export —
// also after the agent was killed -9 and started again — finds the same socket and the
// daemon an earlier attempt left (its pid file, checked against /proc so a recycled pid is
// never killed), stops it and starts a fresh one on the same image.
import { Context, heartbeat } from '@temporalio/activity';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import type { Logger } from '../../../core/logger';
import { BackstopError, ErrorType } from '../../../contract/errors';
import type { GuestNbdExportActivities, HoldNbdExportInput, ReleaseNbdExportInput, StartNbdExportInput, StartedNbdExport } from '../../../contract/guest-nbd-export';
import { runProcess } from '../../shared/process';
import { withFailureMapping } from '../../shared/failure';
import { withClockHeartbeat } from '../../shared/clock-heartbeat';
import { daemonArgs, exportPaths, exportUri, isExportDaemon, parsePidFile } from './nbd-export';

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

export function createNbdExportActivities(deps: NbdExportDeps): GuestNbdExportActivities {
  const { logger } = deps;
  const paths = (exportId: string) => exportPaths(deps.exportDir, exportId);

  /** Stops this export's daemon if one runs, removes its socket and pid file. Returns the pid it stopped. */
  async function clear(exportId: string): Promise<number | null> {
    const p = paths(exportId);
    const pid = runningDaemon(p.pidFile, p.socketPath);
    if (pid !== null) await stopDaemon(pid);
    rmSync(p.socketPath, { force: true });
    rmSync(p.pidFile, { force: true });
    return pid;
  }

  async function startGuestNbdExport(input: StartNbdExportInput): Promise<StartedNbdExport> {
    const p = paths(input.exportId);
    mkdirSync(deps.exportDir, { recursive: true, mode: 0o700 });
    // One daemon per export: whatever an earlier attempt (or a killed agent) left goes first.
    const replacedPid = await clear(input.exportId);
    if (replacedPid !== null) logger.warn({ exportId: input.exportId, pid: replacedPid }, 'stopped the NBD export daemon an earlier attempt left');
    if (!existsSync(input.image)) throw new BackstopError(ErrorType.notFound, `the restored image ${input.image} is gone: nothing to export`);
    const args = daemonArgs({ image: input.image, socketPath: p.socketPath, pidFile: p.pidFile, name: input.name, writable: input.writable });
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
