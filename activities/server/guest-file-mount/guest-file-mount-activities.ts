// Guest file mounts on the server worker (task queue backstop.server): a guest snapshot's disk
// restored into a sparse scratch image, attached read-only to loop devices, each filesystem
// mounted read-only, held by one long activity that heartbeats while the mounts are up.
//
//   <scratchDir>/<mountId>.raw          the disk (restoreDiskImage, the agent's restore code)
//   <mountsDir>/<mountId>/<disk|pN>     one mount point per filesystem
//
// Nothing is recorded beside the kernel's own tables: the mounts are found in
// /proc/self/mountinfo under mountsDir, the loop devices by their backing file in scratchDir
// (`losetup --list`). So whatever a killed worker leaves is found again by the next attempt of
// the same mount (clearMount) and by the next start of the server worker
// (cleanUpLeftoverGuestFileMounts), which also deletes every scratch image: a retried hold then
// finds its image gone and the workflow restores it again under the repository's lock.
import { Context, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { mkdir, readdir, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Catalog } from '../../../catalog/catalog';
import type { SecretBox } from '../../../core/secrets';
import type { Logger } from '../../../core/logger';
import type { BackupEngine } from '../../../contract/engine';
import { BackstopError, ErrorType, NotFoundError } from '../../../contract/errors';
import { SCRATCH_IMAGE_MISSING, type GuestFileMountActivities, type GuestFileMountProgress, type GuestFilesystem, type GuestScratchImage, type GuestScratchInput, type HoldGuestFileMountInput } from '../../../contract/guest-file-mount';
import { runProcess } from '../../shared/process';
import { withFailureMapping } from '../../shared/failure';
import { whileReportingProgress } from '../../shared/clock-heartbeat';
import { GuestRestoreError, restoreDiskImage } from '../../shared/guest/guest-restore';
import { readManifest } from '../../shared/guest/guest-manifest';
import { openRepository } from '../repository-access';
import { mountsAt, readMountinfo } from '../snapshot-mount/mount-table';
import { DiskLayoutError, LOSETUP_LIST_ARGS, blkidArgs, isExtendedPartition, loopsBackedIn, losetupAttachArgs, mountArgs, parseBlkidExport, parseLosetupList, parseSfdiskJson, planFilesystems, probeOf, sfdiskArgs, type FilesystemPlan, type PartitionProbe } from './disk-layout';

export interface GuestFileMountDeps {
  catalog: Catalog;
  secrets: SecretBox;
  engine: Pick<BackupEngine, 'dumpArchive' | 'dumpFile'>;
  /** `<dataDir>/server/guest-scratch`: the scratch images, one per mount. */
  scratchDir: string;
  /** `<dataDir>/server/guest-mounts`: a directory per mount, a mount point per filesystem. */
  mountsDir: string;
  logger: Logger;
  /** Tells the mount's workflow how the attempt goes (a signal; see workers/server). */
  notify: (workflowId: string, progress: GuestFileMountProgress) => Promise<void>;
}

const HEARTBEAT_EVERY_MS = 1_000;

const checkMountId = (mountId: string) => {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(mountId)) throw new NotFoundError(`not a mount id: ${mountId}`);
  return mountId;
};
export const scratchImageOf = (scratchDir: string, mountId: string) => join(scratchDir, `${checkMountId(mountId)}.raw`);

async function run(command: string, args: string[]): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  const r = await runProcess(command, args, { captureStdout: true });
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderrTail.trim() };
}

async function mustRun(command: string, args: string[]): Promise<string> {
  const r = await run(command, args);
  if (r.exitCode !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${r.exitCode}): ${r.stderr}`);
  return r.stdout;
}

/** blkid on the image or a range of it: its KEY=value answer, null when it found nothing (exit 2). */
async function blkid(image: string, range: { offset: number; size: number } | null) {
  const r = await run('blkid', blkidArgs(image, range));
  if (r.exitCode === 2) return null;
  if (r.exitCode !== 0) throw new Error(`blkid failed on ${image} (exit ${r.exitCode}): ${r.stderr}`);
  return parseBlkidExport(r.stdout);
}

/** The filesystems on the image: the whole disk's, else its partitions'. Throws DiskLayoutError when there is none. */
export async function findFilesystems(image: string, disk: string): Promise<FilesystemPlan[]> {
  const size = (await stat(image)).size;
  const whole = probeOf(await blkid(image, null));
  let partitions: PartitionProbe[] | null = null;
  if (whole.kind === 'table' || whole.kind === 'nothing') {
    const r = await run('sfdisk', sfdiskArgs(image));
    if (r.exitCode === 0) {
      partitions = [];
      for (const p of parseSfdiskJson(r.stdout).partitions) {
        partitions.push({ partition: p, probe: isExtendedPartition(p) ? { kind: 'nothing' } : probeOf(await blkid(image, { offset: p.offset, size: p.size })) });
      }
    }
  }
  return planFilesystems(disk, size, whole, partitions);
}

async function loopList() {
  return parseLosetupList(await mustRun('losetup', LOSETUP_LIST_ARGS));
}

/** Unmounts whatever is mounted on `path` (stacked mounts too): plainly, else lazily. */
async function unmountAll(path: string, logger: Logger): Promise<number> {
  let taken = 0;
  for (let i = 0; i < 5 && mountsAt(await readMountinfo(), path) > 0; i++) {
    const plain = await run('umount', ['--', path]);
    if (plain.exitCode === 0) {
      taken++;
      continue;
    }
    const lazy = await run('umount', ['-l', '--', path]);
    if (lazy.exitCode === 0) taken++;
    else logger.warn({ path, stderr: lazy.stderr || plain.stderr }, 'unmount failed');
  }
  return taken;
}

/** Unmounts every mount point under `dir` and removes them and it. */
async function clearMountDir(dir: string, logger: Logger): Promise<number> {
  let taken = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const p = join(dir, name);
    taken += await unmountAll(p, logger);
    await rmdir(p).catch(() => undefined);
  }
  await rmdir(dir).catch(() => undefined);
  return taken;
}

/** Detaches the loop devices given (a busy one is set to detach once its last user goes). */
async function detachLoops(devices: string[], logger: Logger): Promise<void> {
  for (const device of devices) {
    const r = await run('losetup', ['--detach', device]);
    if (r.exitCode !== 0) logger.warn({ device, stderr: r.stderr }, 'loop device not detached');
  }
}

export function createGuestFileMountActivities(deps: GuestFileMountDeps): GuestFileMountActivities {
  const { logger } = deps;
  const mountDirOf = (mountId: string) => join(deps.mountsDir, checkMountId(mountId));
  const imageOf = (mountId: string) => scratchImageOf(deps.scratchDir, mountId);

  /** This mount's filesystems unmounted and loops detached; its scratch image stays unless `withImage`. */
  async function clearMount(mountId: string, withImage: boolean): Promise<void> {
    const taken = await clearMountDir(mountDirOf(mountId), logger);
    const loops = loopsBackedIn(await loopList(), deps.scratchDir, `${checkMountId(mountId)}.raw`);
    await detachLoops(loops, logger);
    if (withImage) await rm(imageOf(mountId), { force: true });
    if (taken > 0 || loops.length > 0) logger.info({ mountId, unmounted: taken, loops }, 'guest file mount taken down');
  }

  async function restoreGuestScratchImage(input: GuestScratchInput): Promise<GuestScratchImage> {
    const ctx = Context.current();
    const image = imageOf(input.mountId);
    let latest = { phase: 'starting', disk: input.disk, bytesWritten: 0, size: 0 };
    return whileReportingProgress(() => latest, async () => {
      // An earlier attempt's mounts would hold the old image open: down with them first.
      await clearMount(input.mountId, true);
      const repo = await openRepository(deps.catalog, deps.secrets, input.repositoryId);
      const manifest = await readManifest(deps.engine, repo, input.snapshotId, input.stageRoot, ctx.cancellationSignal);
      const disk = manifest.disks.find((d) => d.name === input.disk);
      if (!disk) throw new NotFoundError(`snapshot ${input.snapshotId.slice(0, 8)} has no disk ${input.disk} (it has ${manifest.disks.map((d) => d.name).join(', ')})`);
      await mkdir(deps.scratchDir, { recursive: true, mode: 0o700 });
      latest = { phase: 'restoring', disk: input.disk, bytesWritten: 0, size: disk.size };
      try {
        const r = await restoreDiskImage(deps.engine, repo, input.snapshotId, manifest, input.disk, image, {
          signal: ctx.cancellationSignal,
          onLog: (stream, line) => logger.info({ mountId: input.mountId, stream }, `restic dump: ${line}`),
          onWritten: (n) => {
            latest = { ...latest, bytesWritten: latest.bytesWritten + n };
          },
        });
        logger.info({ mountId: input.mountId, disk: input.disk, size: disk.size, bytesWritten: r.bytesWritten }, 'guest disk restored into its scratch image');
        return { size: disk.size, bytesWritten: r.bytesWritten };
      } catch (err) {
        await rm(image, { force: true });
        // A full scratch disk stays full on a retry: fail at once, saying so.
        if (err instanceof GuestRestoreError && err.code === 'ENOSPC') throw new BackstopError(ErrorType.input, `no room for disk ${input.disk} (${disk.size} bytes) in the server worker's scratch directory ${deps.scratchDir}: ${err.message}`);
        throw err;
      }
    });
  }

  async function mountFilesystems(mountId: string, disk: string): Promise<GuestFilesystem[]> {
    const image = imageOf(mountId);
    let plans: FilesystemPlan[];
    try {
      plans = await findFilesystems(image, disk);
    } catch (err) {
      if (err instanceof DiskLayoutError) throw new BackstopError(ErrorType.input, err.message);
      throw err;
    }
    const dir = mountDirOf(mountId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const mounted: GuestFilesystem[] = [];
    const refused: string[] = [];
    for (const p of plans) {
      const device = (await mustRun('losetup', losetupAttachArgs(image, p.partition === null ? null : { offset: p.offset, size: p.size }))).trim();
      const path = join(dir, p.name);
      await mkdir(path, { recursive: true, mode: 0o700 });
      const r = await run('mount', mountArgs(p.fsType, device, path));
      if (r.exitCode === 0) {
        mounted.push({ name: p.name, partition: p.partition, fsType: p.fsType, path, offset: p.offset, size: p.size });
        continue;
      }
      // A filesystem this kernel cannot mount (no driver, damaged): the others still serve.
      refused.push(`${p.name} (${p.fsType}): ${r.stderr.split('\n')[0] ?? `exit ${r.exitCode}`}`);
      await detachLoops([device], logger);
      await rmdir(path).catch(() => undefined);
    }
    if (mounted.length === 0) throw new BackstopError(ErrorType.input, `no filesystem found on disk ${disk} that this server can mount: ${refused.join('; ')}`);
    if (refused.length > 0) logger.warn({ mountId, refused }, 'some filesystems of the disk were not mounted');
    return mounted;
  }

  async function holdGuestFileMount(input: HoldGuestFileMountInput): Promise<void> {
    const ctx = Context.current();
    const workflowId = ctx.info.workflowExecution?.workflowId ?? '';
    const attempt = ctx.info.attempt;
    const log = logger.child({ mountId: input.mountId, workflowId, attempt });
    let progress: GuestFileMountProgress = { attempt, state: 'starting', filesystems: [] };
    heartbeat(progress);
    const ticker = setInterval(() => heartbeat(progress), HEARTBEAT_EVERY_MS);
    try {
      await clearMount(input.mountId, false);
      if (!(await stat(imageOf(input.mountId)).then(() => true, () => false))) {
        // Swept by a restarted worker: the workflow restores it again under the repository's lock.
        throw ApplicationFailure.nonRetryable(`the scratch image of disk ${input.disk} is gone`, SCRATCH_IMAGE_MISSING);
      }
      const filesystems = await mountFilesystems(input.mountId, input.disk);
      progress = { attempt, state: 'mounted', filesystems };
      heartbeat(progress);
      log.info({ filesystems: filesystems.map((f) => `${f.name}:${f.fsType}`) }, 'guest disk mounted');
      await deps.notify(workflowId, progress).catch((err: unknown) => log.warn({ err }, 'could not tell the workflow the mount is up'));
      // Held until cancelled (unmount, TTL, a cancelled workflow): the heartbeat carries it here.
      await new Promise<void>((resolve) => {
        if (ctx.cancellationSignal.aborted) resolve();
        ctx.cancellationSignal.addEventListener('abort', () => resolve(), { once: true });
      });
      throw ctx.cancellationSignal.reason;
    } finally {
      clearInterval(ticker);
      await clearMount(input.mountId, false).catch((err: unknown) => log.error({ err }, 'could not take the guest file mount down'));
    }
  }

  async function releaseGuestFileMount(input: { mountId: string }): Promise<void> {
    await clearMount(input.mountId, true);
  }

  return withFailureMapping({ restoreGuestScratchImage, holdGuestFileMount, releaseGuestFileMount });
}

/**
 * At server worker start, before it takes any task: every filesystem a killed worker left
 * mounted under mountsDir is unmounted, every loop device backed by a scratch image detached,
 * and every scratch image deleted. The mounts' workflows are not touched: their activities
 * time out on the missing heartbeat, and the workflow restores and mounts again on this worker.
 */
export async function cleanUpLeftoverGuestFileMounts(deps: Pick<GuestFileMountDeps, 'scratchDir' | 'mountsDir' | 'logger'>): Promise<{ unmounted: number; loops: string[]; images: string[] }> {
  await mkdir(deps.mountsDir, { recursive: true, mode: 0o700 });
  await mkdir(deps.scratchDir, { recursive: true, mode: 0o700 });
  let unmounted = 0;
  for (const name of await readdir(deps.mountsDir)) unmounted += await clearMountDir(join(deps.mountsDir, name), deps.logger);
  const loops = loopsBackedIn(await loopList(), deps.scratchDir);
  await detachLoops(loops, deps.logger);
  const images = await readdir(deps.scratchDir);
  for (const name of images) await rm(join(deps.scratchDir, name), { recursive: true, force: true });
  if (unmounted > 0 || loops.length > 0 || images.length > 0) deps.logger.warn({ unmounted, loops, images }, 'removed guest file mounts a dead worker left');
  return { unmounted, loops, images };
}
