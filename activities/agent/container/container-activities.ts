// The agent's container steps (issue 19 item 3): find what a container's backup reads (its
// root filesystem and configuration; plan.ts), freeze and thaw a running LXC container
// around its filesystem snapshot, and restore a container snapshot as a directory tree or a
// tar. The backup itself is the files pipeline's (backup-activities.ts). Each step is safe
// to run again: planning reads only, freezing a frozen container and thawing a thawed one
// change nothing, a restore writes the same files again.
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Context } from '@temporalio/activity';
import type { Logger } from '../../../core/logger';
import type { BackupEngine, RepositoryAccess } from '../../../contract/engine';
import { BackstopError, ErrorType, InputError } from '../../../contract/errors';
import { configRestorePath, type ContainerPlan, type ContainerRestoreFormat, type ContainerSource } from '../../../contract/container';
import type { ContainerAgentActivities, ContainerRestoreResult, ContainerRestoreStepInput, ContainerRestoreTarget } from '../../../contract/container-activities';
import type { EngineProcessRegistry } from '../../shared/engines/orphans';
import { withFailureMapping } from '../../shared/failure';
import { whileReportingProgress, withClockHeartbeat } from '../../shared/clock-heartbeat';
import { withRunLog, type RunLogSink, type RunLogTransport } from '../../shared/run-log-sink';
import { runProcess } from '../../shared/process';
import { formatBytes } from '../../shared/stall-watch';
import type { SecretSource } from '../secret-source';
import { checkBackupPaths } from '../backup-roots';
import { LxcConfigError, lxcFreezeArgs, lxcInfoArgs, parseLxcState } from './lxc-config';
import { ContainerMissingError, planContainer, type PlanIo } from './plan';
import { checkContainerTarget } from './restore-target';
import { specialMember, TarRebase, type SpecialNode } from './tar-rebase';

export interface ContainerActivityDeps {
  agentName: string;
  engine: BackupEngine;
  secrets: SecretSource;
  engineProcesses: EngineProcessRegistry;
  /** Absolute directories restores may write into (BACKSTOP_RESTORE_ROOTS). */
  restoreRoots: string[];
  /** Where backup sources may lie (BACKSTOP_BACKUP_ROOTS); absent: anywhere. */
  backupRoots?: string[];
  /** LXC's container directory; default /var/lib/lxc. */
  lxcPath?: string;
  /** Runs an LXC command (lxc-info, lxc-freeze, lxc-unfreeze); injected so tests need no LXC. */
  lxc?: (command: string, args: string[]) => Promise<{ exitCode: number | null; stdout: string; stderr: string }>;
  logger: Logger;
  runLog?: RunLogTransport;
}

/** An LXC command with its output; a missing binary is an exit code null with the reason. */
async function runLxc(command: string, args: string[]) {
  try {
    const r = await runProcess(command, args, { captureStdout: true });
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderrTail };
  } catch (e) {
    return { exitCode: null, stdout: '', stderr: (e as Error).message };
  }
}

export class ContainerRestoreError extends Error {
  override name = 'ContainerRestoreError';
}

export function createContainerActivities(deps: ContainerActivityDeps): ContainerAgentActivities {
  const { engine, secrets, logger } = deps;
  const lxcPath = deps.lxcPath ?? '/var/lib/lxc';
  const lxc = deps.lxc ?? runLxc;
  // -P only when another LXC path than the default is in use, so the commands read as an operator types them.
  const pathArg = deps.lxcPath && deps.lxcPath !== '/var/lib/lxc' ? deps.lxcPath : undefined;

  async function lxcState(name: string): Promise<string | null> {
    const r = await lxc('lxc-info', lxcInfoArgs(name, pathArg));
    return r.exitCode === 0 ? parseLxcState(r.stdout) : null;
  }

  const io: PlanIo = {
    readText: async (p) => readFile(p, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? null : Promise.reject(e))),
    kindOf: async (p) => {
      const s = await lstat(p).catch(() => null);
      return s === null ? null : s.isDirectory() ? 'directory' : s.isFile() ? 'file' : 'other';
    },
    list: (dir) => readdir(dir),
    lxcState,
  };

  async function resolveContainer(input: { runId: string; container: ContainerSource }): Promise<ContainerPlan> {
    try {
      const plan = await planContainer(input.container, io, lxcPath);
      await checkBackupPaths([plan.rootfs, ...plan.configFiles], deps.backupRoots ?? ['/']);
      logger.info({ runId: input.runId, container: plan.name, rootfs: plan.rootfs, configFiles: plan.configFiles, running: plan.running }, 'container planned');
      return plan;
    } catch (e) {
      // A container that is not there, or whose configuration Backstop cannot back up, stays so on a retry.
      if (e instanceof ContainerMissingError) throw new BackstopError(ErrorType.sourceMissing, e.message);
      if (e instanceof LxcConfigError) throw new InputError(e.message);
      throw e;
    }
  }

  async function freezeContainer(input: { runId: string; name: string }): Promise<{ frozen: boolean }> {
    const state = await lxcState(input.name);
    // Already frozen by someone else: leave it as found (and do not thaw it afterwards).
    if (state !== 'RUNNING') return { frozen: false };
    const r = await lxc('lxc-freeze', lxcFreezeArgs(input.name, pathArg));
    if (r.exitCode !== 0) throw new BackstopError(ErrorType.snapshot, `lxc-freeze ${input.name} failed: ${r.stderr.trim() || `exit code ${r.exitCode}`}`);
    logger.info({ runId: input.runId, container: input.name }, 'container frozen');
    return { frozen: true };
  }

  async function thawContainer(input: { runId: string; name: string }): Promise<void> {
    if ((await lxcState(input.name)) !== 'FROZEN') return;
    const r = await lxc('lxc-unfreeze', lxcFreezeArgs(input.name, pathArg));
    if (r.exitCode !== 0) throw new BackstopError(ErrorType.snapshot, `lxc-unfreeze ${input.name} failed: ${r.stderr.trim() || `exit code ${r.exitCode}`}`);
    logger.info({ runId: input.runId, container: input.name }, 'container thawed');
  }

  async function checkContainerRestoreTarget(input: { runId: string; target: string; format: ContainerRestoreFormat }): Promise<ContainerRestoreTarget> {
    return checkContainerTarget({ target: input.target, format: input.format, roots: deps.restoreRoots });
  }

  async function restoreContainerSnapshot(input: ContainerRestoreStepInput): Promise<ContainerRestoreResult> {
    // Checked again right before writing: the target may have been swapped for a symlink meanwhile.
    const checked = await checkContainerTarget({ target: input.target.target, format: input.target.format, roots: deps.restoreRoots, resumed: true });
    if (checked.target !== input.target.target) throw new InputError(`restore target ${input.target.target} now resolves to ${checked.target}; refusing`);
    const repo = { url: input.repository.url, ...(await secrets.repositoryAccess(input.repository.id)) };
    const secretValues = [repo.password, ...Object.values(repo.env ?? {})];
    return withRunLog(deps.runLog, logger, input.runId, 'restore', (runLog) => restoreWithLog(input, repo, runLog), secretValues);
  }

  async function restoreWithLog(input: ContainerRestoreStepInput, repo: RepositoryAccess, runLog: RunLogSink): Promise<ContainerRestoreResult> {
    const signal = Context.current().cancellationSignal;
    const dir = input.target.target;
    let latest = { phase: 'starting' as 'starting' | 'rootfs' | 'config', bytesWritten: 0 };
    return whileReportingProgress(() => latest, async () => {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const control = { signal, onSpawn: (pid: number) => deps.engineProcesses.record(input.workflowId, pid), onLog: (stream: 'stdout' | 'stderr', line: string) => runLog.line(stream, line) };
      latest = { phase: 'rootfs', bytesWritten: 0 };
      let rootfs: string;
      let members: number | null = null;
      let bytesWritten = 0;
      if (input.target.format === 'directory') {
        rootfs = join(dir, 'rootfs');
        // restic's `<snapshot>:<path>` restores the tree under <path> as the target's own content.
        const summary = await engine.restore(repo, `${input.snapshotId}:${input.container.rootfs}`, rootfs, {
          ...control,
          onProgress: (p) => {
            latest = { phase: 'rootfs', bytesWritten: p.bytesDone };
          },
        });
        bytesWritten = summary.bytesRestored;
        runLog.line('stdout', `root filesystem: ${summary.filesRestored} files, ${formatBytes(summary.bytesRestored)} restored into ${rootfs}`);
      } else {
        rootfs = join(dir, 'rootfs.tar');
        const specials = await specialNodesOf(engine, repo, input.snapshotId, input.container.rootfs, join(dir, '.special-nodes'), control);
        const written = await dumpRootfsTar(engine, repo, input.snapshotId, input.container.rootfs, rootfs, { ...control, trailer: specials.map(specialMember), onWritten: (n) => (latest = { phase: 'rootfs', bytesWritten: n }) });
        members = written.members;
        bytesWritten = written.bytes;
        runLog.line('stdout', `root filesystem: ${written.members} members, ${formatBytes(written.bytes)} written into ${rootfs}`);
      }
      latest = { phase: 'config', bytesWritten };
      const configFiles: string[] = [];
      for (const file of input.container.configFiles) {
        const out = join(dir, 'config', configRestorePath(input.container.configRoot, file));
        mkdirSync(posix.dirname(out), { recursive: true, mode: 0o700 });
        const stream = createWriteStream(out, { mode: 0o600 });
        await engine.dumpFile(repo, input.snapshotId, file, stream, signal).then(
          () => new Promise<void>((resolve, reject) => stream.end((e?: Error | null) => (e ? reject(e) : resolve()))),
          (e: unknown) => {
            stream.destroy();
            throw e;
          },
        );
        configFiles.push(out);
      }
      if (configFiles.length > 0) runLog.line('stdout', `configuration: ${configFiles.length} file(s) into ${join(dir, 'config')}`);
      return { rootfs, configFiles, members, bytesWritten };
    });
  }

  return withFailureMapping({
    resolveContainer: withClockHeartbeat(resolveContainer),
    freezeContainer: withClockHeartbeat(freezeContainer),
    thawContainer: withClockHeartbeat(thawContainer),
    checkContainerRestoreTarget: withClockHeartbeat(checkContainerRestoreTarget),
    restoreContainerSnapshot,
  });
}

/**
 * The root filesystem's device nodes and fifos, which restic's tar dump leaves out: found in
 * the snapshot's listing, restored (empty, a few) into `scratch` to read their device numbers
 * (the listing has none), then removed. Sockets are left out as tar leaves them out.
 */
export async function specialNodesOf(
  engine: Pick<BackupEngine, 'walkSnapshot' | 'restore'>,
  repo: RepositoryAccess,
  snapshotId: string,
  rootfs: string,
  scratch: string,
  control: { signal?: AbortSignal; onSpawn?: (pid: number) => void; onLog?: (stream: 'stdout' | 'stderr', line: string) => void },
): Promise<SpecialNode[]> {
  const paths: string[] = [];
  await engine.walkSnapshot(repo, snapshotId, (e) => {
    if ((e.type === 'chardev' || e.type === 'dev' || e.type === 'fifo') && e.path.startsWith(`${rootfs}/`)) paths.push(e.path.slice(rootfs.length));
  }, control);
  if (paths.length === 0) return [];
  rmSync(scratch, { recursive: true, force: true });
  try {
    await engine.restore(repo, `${snapshotId}:${rootfs}`, scratch, control, { paths });
    const nodes: SpecialNode[] = [];
    for (const p of paths) {
      const s = await lstat(join(scratch, p));
      const type = s.isCharacterDevice() ? 'chardev' : s.isBlockDevice() ? 'blockdev' : s.isFIFO() ? 'fifo' : null;
      if (type === null) throw new ContainerRestoreError(`${rootfs}${p} came back from the snapshot as something other than a device node or fifo`);
      nodes.push({ path: p, type, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, mtime: Math.floor(s.mtimeMs / 1000), rdev: s.rdev });
    }
    return nodes;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The root filesystem as one tar file: the engine's dump (`restic dump --archive tar`) through
 * TarRebase straight into `file`. A write that fails (ENOSPC, EIO) stops the dump at once and
 * fails with the write's reason; the pipeline's outcome is observed from the start, so its
 * failure can never be an unhandled rejection that takes the worker down.
 */
export async function dumpRootfsTar(
  engine: Pick<BackupEngine, 'dumpArchive'>,
  repo: RepositoryAccess,
  snapshotId: string,
  rootfs: string,
  file: string,
  control: { signal?: AbortSignal; onSpawn?: (pid: number) => void; onLog?: (stream: 'stdout' | 'stderr', line: string) => void; onWritten?: (bytes: number) => void; trailer?: Buffer[] },
  out: NodeJS.WritableStream = createWriteStream(file, { mode: 0o600 }),
): Promise<{ members: number; bytes: number }> {
  const rebase = new TarRebase(rootfs);
  rebase.onWritten = control.onWritten ?? null;
  rebase.trailer = control.trailer ?? [];
  const stopDump = new AbortController();
  const onOuterAbort = () => stopDump.abort();
  control.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let writeFailure: unknown = null;
  const written = pipeline(rebase, out).catch((e: unknown) => {
    writeFailure ??= e;
    stopDump.abort();
    throw e;
  });
  written.catch(() => undefined);
  try {
    await engine.dumpArchive(repo, snapshotId, rootfs, rebase, { signal: stopDump.signal, onSpawn: control.onSpawn, onLog: control.onLog });
  } catch (e) {
    if (writeFailure === null) {
      rebase.destroy();
      throw e;
    }
  } finally {
    control.signal?.removeEventListener('abort', onOuterAbort);
  }
  if (writeFailure !== null) throw new ContainerRestoreError(`writing ${file} failed: ${(writeFailure as Error).message}`);
  rebase.end();
  await written.catch(() => {
    throw new ContainerRestoreError(`writing ${file} failed: ${(writeFailure as Error | null)?.message ?? 'unknown error'}`);
  });
  return { members: rebase.members, bytes: rebase.bytes };
}
