// The restic implementation of BackupEngine: spawns restic through runProcess and
// interprets its output with the pure parsers beside it.
import { resticBinary } from '../../../../core/config';
import { BackstopError, ErrorType, NotFoundError } from '../../../../contract/errors';
import type { SnapshotMounter, BackupEngine, BackupRequest, CheckDataRead, EngineLauncher, EngineSnapshot, RepositoryAccess, RunControl, PlannedWrite, RestoreOptions, RestoreSummary, SnapshotEntry, SnapshotListing, ForgetGroup, ForgetRequest, PruneOutcome } from '../../../../contract/engine';
import { runProcess, type RunResult } from '../../process';
import { backupArgs, catConfigArgs, checkArgs, initArgs, resticEnv, snapshotsArgs, unlockArgs } from './args';
import { dumpArchiveArgs, dumpArgs, lsArgs, lsTreeArgs, restoreCommandArgs, restorePlanArgs } from './restore-args';
import { WRITING_ACTIONS, missingInSnapshot, parseLsNode, parseLsOutput, parseRestoreLine, plainStderr, type RestoreEvent } from './restore-parse';
import { parseObject } from '../../json-lines';
import { CheckProblems } from '../check-report';
import { classifyFailure, isResticCheckProblem, resticCheckFoundDamage, parseBackupLine, parseSnapshots, skippedSource, snapshotFromSummary, unreadablePaths, type BackupEvent } from './parse';
import { forgetArgs, forgetIdsArgs, pruneArgs } from './forget-args';
import { mountArgs, snapshotPathInMount } from './mount-args';
import { inMountNamespace } from '../../snapshot-commands';
import { parseForget, parsePruneReport } from './forget-parse';
import type { BackupProgress } from '../../../../contract/model';
import { describeFilesBytes, stallReason } from '../../stall-watch';
import type { SnapshotBind } from '../../../../contract/snapshot';
import { scrub } from '../../scrub-error';

export interface ResticOptions {
  binary?: string;
  cacheDir?: string;
  /** A backup or restore whose files/bytes have not moved for this long is stopped as stalled (BACKSTOP_STALL_TIMEOUT_MS). */
  stallTimeoutMs?: number;
  /** Between SIGINT and SIGKILL when restic is stopped (BACKSTOP_CANCEL_GRACE_MS). */
  killGraceMs?: number;
}

export const DEFAULT_STALL_TIMEOUT_MS = 10 * 60_000;

/** What counts as movement: scanning (totals) and writing (done), never the clock. */
export function progressFingerprint(p: BackupProgress | null): string {
  return p ? `${p.filesDone}/${p.bytesDone}/${p.filesTotal}/${p.bytesTotal}` : '';
}

/** restic's exit code for "snapshot written, but some source files could not be read". */
const EXIT_PARTIAL = 3;

export class Restic implements BackupEngine, SnapshotMounter {
  private readonly binary: string;

  constructor(private readonly opts: ResticOptions = {}) {
    this.binary = opts.binary ?? resticBinary();
  }

  private async run(
    repo: RepositoryAccess,
    args: string[],
    what: string,
    extra: Parameters<typeof runProcess>[2] = {},
    lastProgress: () => BackupProgress | null = () => null,
    binds: SnapshotBind[] = [],
    launcher?: EngineLauncher,
  ): Promise<RunResult> {
    // With filesystem snapshots, restic runs where the original paths show the frozen copies;
    // in pull mode, where they show the agent's export.
    const cmd = launcher ? launcher.wrap(this.binary, args) : inMountNamespace(binds, this.binary, args);
    const result = await runProcess(cmd.command, cmd.args, {
      ...(launcher ? { channel: (socket) => launcher.attach(socket) } : {}),
      killGraceMs: this.opts.killGraceMs,
      ...extra,
      // extra.env: the environment of a --stdin-from-command command (its own credentials).
      env: { ...extra.env, ...resticEnv(repo.url, repo.password, repo.env, this.opts.cacheDir) },
    }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') throw new BackstopError(ErrorType.input, `restic binary not found: ${this.binary}`);
      throw e;
    });
    await this.afterStop(repo, result);
    if (result.aborted) throw new BackstopError(ErrorType.engine, `${what}: cancelled`);
    const launchFailure = launcher?.failure?.(result.exitCode);
    if (launchFailure) throw new BackstopError(ErrorType.engine, `${what}: ${launchFailure}: ${result.stderrTail.trim().split('\n').slice(-3).join(' / ')}`);
    if (result.stalled) {
      const p = lastProgress();
      throw new BackstopError(ErrorType.stalled, stallReason(what, result.stalledForMs, p ? describeFilesBytes(p) : null));
    }
    return result;
  }

  /**
   * restic removes its lock on SIGINT; one killed with SIGKILL after the grace period leaves
   * it behind, and a lock of a dead process on this host is stale: remove it now rather than
   * make the next command (or the next run) wait for it.
   */
  private async afterStop(repo: RepositoryAccess, result: RunResult): Promise<void> {
    if (!result.killed) return;
    await this.unlockStale(repo).catch(() => undefined);
  }

  /** Stall watch on the engine's own progress (files and bytes, and bytes it reads back to upload), not on its output. */
  private stallWatch(latest: () => BackupProgress | null) {
    return { timeoutMs: this.opts.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS, fingerprint: () => progressFingerprint(latest()), countReads: true };
  }

  private fail(result: RunResult, what: string, repo: RepositoryAccess): never {
    throw scrub(classifyFailure(result.exitCode, result.stderrTail, what), [repo.password, ...Object.values(repo.env ?? {})]);
  }

  async init(repo: RepositoryAccess): Promise<void> {
    const r = await this.run(repo, initArgs(), 'restic init');
    if (r.exitCode !== 0) this.fail(r, 'restic init', repo);
  }

  async verifyAccess(repo: RepositoryAccess): Promise<void> {
    const r = await this.run(repo, catConfigArgs(), 'opening repository');
    if (r.exitCode !== 0) this.fail(r, 'opening repository', repo);
  }

  async findSnapshotsByTag(repo: RepositoryAccess, tag: string): Promise<EngineSnapshot[]> {
    const r = await this.run(repo, snapshotsArgs(tag), 'restic snapshots', { captureStdout: true });
    if (r.exitCode !== 0) this.fail(r, 'restic snapshots', repo);
    return parseSnapshots(r.stdout);
  }

  async unlockStale(repo: RepositoryAccess): Promise<void> {
    const r = await this.run(repo, unlockArgs(), 'restic unlock');
    if (r.exitCode !== 0) this.fail(r, 'restic unlock', repo);
  }

  async backup(repo: RepositoryAccess, req: BackupRequest, control: RunControl) {
    const events: BackupEvent[] = [];
    let summary: Extract<BackupEvent, { kind: 'summary' }> | undefined;
    let skipped = false;
    let latest: BackupProgress | null = null;
    const onLine = (stream: 'stdout' | 'stderr') => (line: string) => {
      const e = parseBackupLine(line);
      if (e.kind === 'status') {
        latest = e.progress;
        control.onProgress?.(e.progress);
      }
      else if (e.kind === 'summary') summary = e;
      else if (e.kind === 'error') {
        events.push(e);
        control.onLog?.('stderr', `error: ${e.item}${e.during ? ` (${e.during})` : ''}: ${e.message}`);
      } else {
        if (skippedSource(e.line) !== null) skipped = true;
        if (e.line.trim() !== '') control.onLog?.(stream, e.line);
      }
    };
    const result = await this.run(
      repo,
      backupArgs(req),
      'restic backup',
      {
        signal: control.signal,
        onStdoutLine: onLine('stdout'),
        // restic 0.14 writes per-file errors as JSON on stderr.
        onStderrLine: onLine('stderr'),
        onSpawn: control.onSpawn,
        stall: this.stallWatch(() => latest),
        ...(req.stdin?.env ? { env: req.stdin.env } : {}),
      },
      () => latest,
      req.binds ?? [],
      control.launcher,
    );
    if ((result.exitCode !== 0 && result.exitCode !== EXIT_PARTIAL) || !summary) this.fail(result, 'restic backup', repo);
    const unreadable = result.exitCode === EXIT_PARTIAL ? unreadablePaths(events) : [];
    // restic >= 0.17 reports the full id and time in the summary: no second restic process
    // (another key derivation and index load) just to read back what was written.
    const fromSummary = skipped ? null : snapshotFromSummary(summary, req);
    if (fromSummary) return { snapshot: fromSummary, stats: summary.stats, unreadable };
    // The summary carries only a short id in restic 0.14; the tag gives the full record.
    const runTag = req.tags[0];
    const found = runTag ? await this.findSnapshotsByTag(repo, runTag) : [];
    const snapshot = found.find((s) => s.id.startsWith(summary!.snapshotId));
    if (!snapshot) throw new BackstopError(ErrorType.engine, `restic backup: snapshot ${summary.snapshotId} not found after backup`);
    return { snapshot, stats: summary.stats, unreadable };
  }

  async forgetSnapshots(repo: RepositoryAccess, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const r = await this.run(repo, forgetIdsArgs(ids), 'restic forget');
    if (r.exitCode !== 0) this.fail(r, 'restic forget', repo);
  }

  async restore(repo: RepositoryAccess, snapshotId: string, target: string, control: RunControl, options: RestoreOptions = {}): Promise<RestoreSummary> {
    let summary: Extract<RestoreEvent, { kind: 'summary' }>['summary'] | undefined;
    let latest: BackupProgress | null = null;
    const onLine = (line: string) => {
      const e = parseRestoreLine(line);
      if (e.kind === 'status') {
        latest = e.progress;
        control.onProgress?.(e.progress);
      } else if (e.kind === 'summary') summary = e.summary;
    };
    const r = await this.run(
      repo,
      restoreCommandArgs(snapshotId, target, options),
      'restic restore',
      {
        signal: control.signal,
        onStdoutLine: onLine,
        onStderrLine: (line) => {
          // restic 0.18 names each item it could not restore in a JSON error line on stderr.
          const e = line.startsWith('{') ? parseRestoreLine(line) : null;
          if (e?.kind === 'error' && e.item !== '') control.onItemError?.(e.item, e.message);
          control.onLog?.('stderr', line);
        },
        onSpawn: control.onSpawn,
        stall: this.stallWatch(() => latest),
      },
      () => latest,
      [],
      // A server restore writes through the agent's export, mounted by the launcher.
      control.launcher,
    );
    if (r.exitCode !== 0) this.failJson(r, 'restic restore', repo);
    const none = { filesTotal: 0, filesRestored: 0, filesSkipped: 0, filesDeleted: 0, bytesTotal: 0, bytesRestored: 0, bytesSkipped: 0 };
    // --verify reads every restored file back; restic exits non-zero when one differs.
    return { ...(summary ?? none), verified: options.verify === true };
  }

  async planRestore(repo: RepositoryAccess, snapshotId: string, target: string, options: RestoreOptions = {}): Promise<PlannedWrite[]> {
    const planned: PlannedWrite[] = [];
    const r = await this.run(repo, restorePlanArgs(snapshotId, target, options), 'restic restore --dry-run', {
      onStdoutLine: (line) => {
        const e = parseRestoreLine(line);
        if (e.kind === 'planned' && WRITING_ACTIONS.has(e.action)) planned.push({ path: e.item, size: e.size });
      },
    });
    if (r.exitCode !== 0) this.failJson(r, 'restic restore --dry-run', repo);
    return planned;
  }

  async listDirectory(repo: RepositoryAccess, snapshotId: string, path: string): Promise<SnapshotListing | null> {
    const lines: string[] = [];
    const r = await this.run(repo, lsArgs(snapshotId, path), 'restic ls', { onStdoutLine: (l) => lines.push(l) });
    if (r.exitCode !== 0) this.failJson(r, 'restic ls', repo);
    return parseLsOutput(lines, path);
  }

  async walkSnapshot(repo: RepositoryAccess, snapshotId: string, onEntry: (e: SnapshotEntry) => void, control: RunControl = {}): Promise<void> {
    const r = await this.run(repo, lsTreeArgs(snapshotId), 'restic ls', {
      signal: control.signal,
      onSpawn: control.onSpawn,
      onStdoutLine: (line) => {
        const msg = parseObject(line);
        if (msg && (msg.message_type ?? msg.struct_type) === 'node') onEntry(parseLsNode(msg));
      },
    });
    if (r.exitCode !== 0) this.failJson(r, 'restic ls', repo);
  }

  async dumpFile(repo: RepositoryAccess, snapshotId: string, path: string, out: NodeJS.WritableStream, signal?: AbortSignal): Promise<void> {
    const r = await this.run(repo, dumpArgs(snapshotId, path), 'restic dump', { stdoutTo: out, signal });
    if (r.exitCode !== 0) this.failJson(r, 'restic dump', repo);
  }

  async dumpArchive(repo: RepositoryAccess, snapshotId: string, path: string, out: NodeJS.WritableStream, control: RunControl): Promise<void> {
    const r = await this.run(repo, dumpArchiveArgs(snapshotId, path), 'restic dump', {
      stdoutTo: out,
      signal: control.signal,
      onSpawn: control.onSpawn,
      onStderrLine: (line) => control.onLog?.('stderr', line),
    });
    if (r.exitCode !== 0) this.failJson(r, 'restic dump', repo);
  }

  /** Like fail(), for commands run with --json (fatal errors arrive as JSON on stderr). */
  private failJson(result: RunResult, what: string, repo: RepositoryAccess): never {
    const stderr = plainStderr(result.stderrTail);
    const missing = missingInSnapshot(stderr);
    if (missing) throw new NotFoundError(`${what}: ${missing}`);
    throw scrub(classifyFailure(result.exitCode, stderr, what), [repo.password, ...Object.values(repo.env ?? {})]);
  }

  async check(repo: RepositoryAccess, control: RunControl = {}, read?: CheckDataRead): Promise<void> {
    const problems = new CheckProblems();
    const r = await this.run(repo, checkArgs(read), 'restic check', {
      signal: control.signal,
      onSpawn: control.onSpawn,
      onStdoutLine: (line) => control.onLog?.('stdout', line),
      onStderrLine: (line) => {
        control.onLog?.('stderr', line);
        if (isResticCheckProblem(line)) problems.add(line);
      },
    });
    if (r.exitCode === 0) return;
    // restic finished its check and found damage: a retry would find the same.
    if (r.exitCode !== null && resticCheckFoundDamage(r.stderrTail)) throw scrub(problems.damaged('restic check'), [repo.password, ...Object.values(repo.env ?? {})]);
    this.fail(r, 'restic check', repo);
  }

  async forget(repo: RepositoryAccess, req: ForgetRequest, control: RunControl = {}): Promise<ForgetGroup[]> {
    const r = await this.run(repo, forgetArgs(req), 'restic forget', {
      captureStdout: true,
      signal: control.signal,
      onSpawn: control.onSpawn,
      onStderrLine: (line) => control.onLog?.('stderr', line),
    });
    if (r.exitCode !== 0) this.fail(r, 'restic forget', repo);
    return parseForget(r.stdout);
  }

  async prune(repo: RepositoryAccess, control: RunControl): Promise<PruneOutcome> {
    const r = await this.run(repo, pruneArgs(), 'restic prune', {
      captureStdout: true,
      signal: control.signal,
      onSpawn: control.onSpawn,
      onStdoutLine: (line) => control.onLog?.('stdout', line),
      onStderrLine: (line) => control.onLog?.('stderr', line),
    });
    if (r.exitCode !== 0) this.fail(r, 'restic prune', repo);
    return parsePruneReport(r.stdout);
  }

  /**
   * `restic mount` in the foreground until `control.signal` aborts: SIGINT makes restic
   * unmount and exit (SIGKILL after the grace leaves the mount to the caller's lazy unmount).
   * Exiting on its own is a failure: the mount is gone.
   */
  async mount(repo: RepositoryAccess, mountPoint: string, control: RunControl): Promise<void> {
    const r = await this.run(repo, mountArgs(mountPoint), 'restic mount', {
      signal: control.signal,
      onSpawn: control.onSpawn,
      onStdoutLine: (line) => control.onLog?.('stdout', line),
      onStderrLine: (line) => control.onLog?.('stderr', line),
    }).catch((err: unknown) => {
      // Stopped as asked: that is how a mount ends.
      if (control.signal?.aborted) return null;
      throw err;
    });
    if (r === null || control.signal?.aborted) return;
    if (r.exitCode === 0) throw new BackstopError(ErrorType.engine, 'restic mount: exited while the mount was in use (unmounted from outside?)');
    this.fail(r, 'restic mount', repo);
  }

  snapshotPath(mountPoint: string, snapshotId: string): string {
    return snapshotPathInMount(mountPoint, snapshotId);
  }

  async listSnapshots(repo: RepositoryAccess): Promise<EngineSnapshot[]> {
    const r = await this.run(repo, snapshotsArgs(), 'restic snapshots', { captureStdout: true });
    if (r.exitCode !== 0) this.fail(r, 'restic snapshots', repo);
    return parseSnapshots(r.stdout);
  }
}

