// Snapshot mounts on the server worker (task queue backstop.server): `restic mount` of the
// snapshot's repository, held by one long activity that heartbeats while the mount is up.
//
// The repository password reaches restic's environment only (openRepository → Restic).
// Mount points are `<mountsDir>/<mount id>`, in the host's mount table where `findmnt`
// sees them. The engine's PID is recorded (EngineProcessRegistry), so whatever a killed
// worker leaves is found again: by the next attempt of the same mount (clearMount), and by
// the next start of the server worker (cleanUpLeftoverMounts), which kills every recorded
// `restic mount` and lazily unmounts every mount point left under mountsDir.
import { Context, heartbeat } from '@temporalio/activity';
import { mkdir, readdir, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Catalog } from '../../../catalog/catalog';
import type { SecretBox } from '../../../core/secrets';
import type { Logger } from '../../../core/logger';
import type { SnapshotMounter } from '../../../contract/engine';
import { NotFoundError } from '../../../contract/errors';
import type { HoldMountInput, MountActivities, MountProgress } from '../../../contract/snapshot-mount';
import type { EngineProcessRegistry } from '../../shared/engines/orphans';
import { MOUNT_PATH_TEMPLATE } from '../../shared/engines/restic/mount-args';
import { runProcess } from '../../shared/process';
import { withFailureMapping } from '../../shared/failure';
import { openRepository } from '../repository-access';
import { lazyUnmountCommands, mountsAt, readMountinfo } from './mount-table';

export interface SnapshotMountDeps {
  catalog: Catalog;
  secrets: SecretBox;
  engine: SnapshotMounter;
  /** PIDs of running `restic mount`s, by mount id. */
  processes: EngineProcessRegistry;
  /** `<dataDir>/server/mounts`. */
  mountsDir: string;
  logger: Logger;
  /** Tells the mount's workflow how the attempt goes (a signal; see workers/server). */
  notify: (workflowId: string, progress: MountProgress) => Promise<void>;
  /** How often readiness is checked while restic mounts; default 100 ms. */
  readyPollMs?: number;
}

const HEARTBEAT_EVERY_MS = 1_000;
const UNMOUNT_TRIES = 5;

/** Lazily unmounts whatever is mounted on `path` (stacked mounts too). Returns how many it took down. */
export async function unmountLazily(path: string, logger: Logger): Promise<number> {
  let taken = 0;
  for (let i = 0; i < UNMOUNT_TRIES && mountsAt(await readMountinfo(), path) > 0; i++) {
    for (const cmd of lazyUnmountCommands(path)) {
      const r = await runProcess(cmd.command, cmd.args).catch((err: Error) => ({ exitCode: -1, stderrTail: err.message }));
      if (r.exitCode === 0) {
        taken++;
        break;
      }
      logger.warn({ path, command: cmd.command, stderr: r.stderrTail.trim() }, 'lazy unmount failed');
    }
  }
  return taken;
}

export function createSnapshotMountActivities(deps: SnapshotMountDeps): MountActivities {
  const { engine, logger, processes } = deps;
  const mountPointOf = (mountId: string) => {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(mountId)) throw new NotFoundError(`not a mount id: ${mountId}`);
    return join(deps.mountsDir, mountId);
  };

  /** Stops this mount's leftover engine (a dead attempt's), takes its mount down, removes the empty mount point. */
  async function clearMount(mountId: string): Promise<void> {
    const mountPoint = mountPointOf(mountId);
    const pid = await processes.stopLeftover(mountId, MOUNT_PATH_TEMPLATE);
    const taken = await unmountLazily(mountPoint, logger);
    if (pid !== null || taken > 0) logger.warn({ mountId, pid, unmounted: taken }, 'stopped what an earlier attempt of this mount left');
    await rmdir(mountPoint).catch(() => undefined);
  }

  /**
   * Resolves true once the snapshot's directory answers, false if `stopped()` first.
   * A mount whose listing of snapshots lacks this one will never show it: not found.
   */
  async function readable(mountPoint: string, path: string, snapshotId: string, stopped: () => boolean): Promise<boolean> {
    const pollMs = deps.readyPollMs ?? 100;
    while (!stopped()) {
      if (await stat(path).then(() => true, () => false)) return true;
      if (mountsAt(await readMountinfo(), mountPoint) > 0) {
        const ids = await readdir(join(mountPoint, 'ids')).catch(() => null);
        if (ids && !ids.includes(snapshotId)) throw new NotFoundError(`snapshot ${snapshotId.slice(0, 8)} is not in its repository any more`);
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
    return false;
  }

  async function holdSnapshotMount(input: HoldMountInput): Promise<void> {
    const ctx = Context.current();
    const workflowId = ctx.info.workflowExecution?.workflowId ?? '';
    const attempt = ctx.info.attempt;
    const log = logger.child({ mountId: input.mountId, workflowId, attempt });
    const mountPoint = mountPointOf(input.mountId);
    const path = engine.snapshotPath(mountPoint, input.snapshotId);
    let progress: MountProgress = { attempt, state: 'starting', path: null };
    heartbeat(progress);
    const ticker = setInterval(() => heartbeat(progress), HEARTBEAT_EVERY_MS);
    try {
      const repo = await openRepository(deps.catalog, deps.secrets, input.repositoryId);
      await clearMount(input.mountId);
      await mkdir(mountPoint, { recursive: true, mode: 0o700 });
      // A retried attempt (its worker died): the workflow shows `starting` again until mounted.
      if (attempt > 1) await deps.notify(workflowId, progress);
      let exited = false;
      const running = engine
        .mount(repo, mountPoint, {
          signal: ctx.cancellationSignal,
          onSpawn: (pid) => processes.record(input.mountId, pid),
          onLog: (stream, line) => log.info({ stream }, `restic mount: ${line}`),
        })
        .finally(() => {
          exited = true;
        });
      // Keep the rejection handled while readiness is awaited; it is awaited below.
      running.catch(() => undefined);
      const ready = await readable(mountPoint, path, input.snapshotId, () => exited || ctx.cancellationSignal.aborted);
      if (ready) {
        progress = { attempt, state: 'mounted', path };
        heartbeat(progress);
        log.info({ path }, 'snapshot mounted');
        await deps.notify(workflowId, progress).catch((err: unknown) => log.warn({ err }, 'could not tell the workflow the mount is up'));
      }
      await running;
      processes.clear(input.mountId);
      if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
    } finally {
      clearInterval(ticker);
      await clearMount(input.mountId).catch((err: unknown) => log.error({ err }, 'could not remove the mount'));
    }
  }

  async function releaseSnapshotMount(input: { mountId: string }): Promise<void> {
    await clearMount(input.mountId);
  }

  return withFailureMapping({ holdSnapshotMount, releaseSnapshotMount });
}

/**
 * At server worker start, before it takes any task: every `restic mount` a killed worker
 * left is killed, and every mount point under mountsDir unmounted (lazily) and removed.
 * The mounts' workflows are not touched: their activities time out on the missing
 * heartbeat and mount again on this worker.
 */
export async function cleanUpLeftoverMounts(deps: Pick<SnapshotMountDeps, 'processes' | 'mountsDir' | 'logger'>): Promise<{ killed: number[]; unmounted: string[] }> {
  const killed = await deps.processes.stopAll(MOUNT_PATH_TEMPLATE);
  const unmounted: string[] = [];
  await mkdir(deps.mountsDir, { recursive: true, mode: 0o700 });
  for (const name of await readdir(deps.mountsDir)) {
    const dir = join(deps.mountsDir, name);
    if ((await unmountLazily(dir, deps.logger)) > 0) unmounted.push(dir);
    await rmdir(dir).catch(() => undefined);
  }
  if (killed.length > 0 || unmounted.length > 0) deps.logger.warn({ killed, unmounted }, 'removed snapshot mounts a dead worker left');
  return { killed, unmounted };
}
