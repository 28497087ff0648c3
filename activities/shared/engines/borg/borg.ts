// The borg (1.2) implementation of BackupEngine: spawns borg through runProcess and
// interprets its --json / --log-json output with the pure modules beside it.
import { lstat, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { BackstopError, ErrorType, NotFoundError, UnsupportedByEngineError } from '../../../../contract/errors';
import type { BackupEngine, BackupRequest, CheckDataRead, EngineLauncher, EngineSnapshot, ForgetGroup, ForgetRequest, PlannedWrite, PruneOutcome, RepositoryAccess, RestoreOptions, RestoreSummary, RunControl, SnapshotEntry, SnapshotListing } from '../../../../contract/engine';
import type { BackupProgress } from '../../../../contract/model';
import type { SnapshotBind } from '../../../../contract/snapshot';
import { runProcess, type RunOptions, type RunResult } from '../../process';
import { inMountNamespace } from '../../snapshot-commands';
import { describeFilesBytes, stallReason } from '../../stall-watch';
import { num, parseObject } from '../../json-lines';
import { borgEnv, checkArgs, compactArgs, createArgs, deleteArgs, initArgs, listArchivesArgs, snapshotPaths, unlockStaleArgs, verifyArgs } from './args';
import { archiveGroup, groupGlob, type Archive } from './names';
import { CheckProblems } from '../check-report';
import { archiveExists, backupProgress, borgCheckLine, classifyFailure, countFile, emptyCounts, parseArchiveList, parseCreateOutput, parseEvent, resolveArchive, warningPath } from './parse';
import { pruneArgs, policyArgs } from './prune-args';
import { parseCompactOutput, parsePruneOutput } from './prune-parse';
import { directoryListing, parseItems, plannedWrites } from './items';
import { dumpFileArgs, exportTarArgs, extractArgs, listDirectoryArgs, listItemsArgs, selectionPaths, subtreePaths, borgPath } from './restore-args';
import { parseItem } from './items';
import { prepareSsh } from './ssh';
import { excludePatternsFile, keptByPolicy, tarExcludeFile, type ExistingNode } from './overwrite';
import { scrub } from '../../scrub-error';

export interface BorgOptions {
  binary?: string;
  /** BORG_BASE_DIR: where borg keeps its cache, config and security directories. */
  baseDir?: string;
  /** A backup or restore whose files/bytes have not moved for this long is stopped as stalled. */
  stallTimeoutMs?: number;
  /** Between SIGINT and SIGKILL when borg is stopped. */
  killGraceMs?: number;
}

export const DEFAULT_STALL_TIMEOUT_MS = 10 * 60_000;

/** borg's exit code for "done, with warnings" (an unreadable file, an include that never matched). */
const EXIT_WARNING = 1;

function progressFingerprint(p: BackupProgress | null): string {
  return p ? `${p.filesDone}/${p.bytesDone}/${p.filesTotal}/${p.bytesTotal}` : '';
}

/** The WARNING messages of a run's stderr (JSON log lines). */
function warnings(stderr: string): string[] {
  const out: string[] = [];
  for (const line of stderr.split('\n')) {
    const e = parseEvent(line);
    if (e.kind === 'log' && e.level === 'WARNING') out.push(e.message);
  }
  return out;
}

/** Exit 1 whose only warnings say an include (a PATH argument) matched nothing. */
function onlyUnmatched(r: RunResult): boolean {
  const w = warnings(r.stderrTail);
  return r.exitCode === EXIT_WARNING && w.length > 0 && w.every((m) => /^Include pattern '.*' never matched\.$/.test(m));
}

export class Borg implements BackupEngine {
  private readonly binary: string;

  constructor(private readonly opts: BorgOptions = {}) {
    this.binary = opts.binary ?? 'borg';
  }

  private secrets(repo: RepositoryAccess): string[] {
    return [repo.password, ...Object.values(repo.env ?? {}), repo.ssh?.privateKey ?? ''].filter((s) => s !== '');
  }

  private async run(
    repo: RepositoryAccess,
    args: string[],
    what: string,
    extra: RunOptions = {},
    lastProgress: () => BackupProgress | null = () => null,
    binds: SnapshotBind[] = [],
    launcher?: EngineLauncher,
  ): Promise<RunResult> {
    // ssh:// repositories: the key exists as a file only while this borg runs.
    const ssh = repo.ssh && repo.url.startsWith('ssh://') ? await prepareSsh(repo.ssh) : null;
    try {
      // With filesystem snapshots, borg runs where the original paths show the frozen copies;
      // in pull mode, where they show the agent's export.
      const cmd = launcher ? launcher.wrap(this.binary, args) : inMountNamespace(binds, this.binary, args);
      const result = await runProcess(cmd.command, cmd.args, {
        ...(launcher ? { channel: (socket) => launcher.attach(socket) } : {}),
        killGraceMs: this.opts.killGraceMs,
        ...extra,
        // extra.env: the environment of a --content-from-command command (its own credentials).
        env: { ...extra.env, ...borgEnv(repo, this.opts.baseDir), ...(ssh?.env ?? {}) },
      }).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') throw new BackstopError(ErrorType.input, `borg binary not found: ${this.binary}`);
        throw e;
      });
      // borg releases its locks on SIGINT; one SIGKILLed after the grace period leaves them,
      // stale (a dead PID on this host): remove them now, not on the next run's first command.
      if (result.killed) await this.unlockStale(repo).catch(() => undefined);
      if (result.aborted) throw new BackstopError(ErrorType.engine, `${what}: cancelled`);
      const launchFailure = launcher?.failure?.(result.exitCode);
      if (launchFailure) throw this.scrubbed(new BackstopError(ErrorType.engine, `${what}: ${launchFailure}: ${result.stderrTail.trim().split('\n').slice(-3).join(' / ')}`), repo);
      if (result.stalled) {
        const p = lastProgress();
        throw new BackstopError(ErrorType.stalled, stallReason(what, result.stalledForMs, p ? describeFilesBytes(p) : null));
      }
      return result;
    } finally {
      await ssh?.dispose();
    }
  }

  /** Stall watch on borg's own progress (files and bytes, and bytes it reads), not on its output. */
  private stallWatch(latest: () => BackupProgress | null) {
    return { timeoutMs: this.opts.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS, fingerprint: () => progressFingerprint(latest()), countReads: true };
  }

  private scrubbed(err: BackstopError, repo: RepositoryAccess): BackstopError {
    return scrub(err, this.secrets(repo));
  }

  private fail(result: RunResult, what: string, repo: RepositoryAccess): never {
    throw this.scrubbed(classifyFailure(result.exitCode, result.stderrTail, what), repo);
  }

  async init(repo: RepositoryAccess): Promise<void> {
    const r = await this.run(repo, initArgs(repo.url), 'borg init');
    if (r.exitCode !== 0) this.fail(r, 'borg init', repo);
  }

  async verifyAccess(repo: RepositoryAccess): Promise<void> {
    const r = await this.run(repo, verifyArgs(repo.url), 'opening repository', { captureStdout: true });
    if (r.exitCode !== 0) this.fail(r, 'opening repository', repo);
  }

  private async archives(repo: RepositoryAccess): Promise<Archive[]> {
    const r = await this.run(repo, listArchivesArgs(repo.url), 'borg list', { captureStdout: true });
    if (r.exitCode !== 0) this.fail(r, 'borg list', repo);
    return parseArchiveList(r.stdout);
  }

  private async archive(repo: RepositoryAccess, snapshotId: string): Promise<Archive> {
    return resolveArchive(await this.archives(repo), snapshotId);
  }

  async listSnapshots(repo: RepositoryAccess): Promise<EngineSnapshot[]> {
    return (await this.archives(repo)).map((a) => a.snapshot);
  }

  async findSnapshotsByTag(repo: RepositoryAccess, tag: string): Promise<EngineSnapshot[]> {
    return (await this.listSnapshots(repo)).filter((s) => s.tags.includes(tag));
  }

  /**
   * borg removes a lock of a dead process on this host whenever it takes the lock
   * (BORG_HOSTNAME_IS_UNIQUE=yes): open the repository once. A lock held by a live process
   * stays, and is no failure here (there was nothing stale to remove).
   */
  async unlockStale(repo: RepositoryAccess): Promise<void> {
    const r = await this.run(repo, unlockStaleArgs(repo.url), 'borg list (stale locks)');
    if (r.exitCode === 0) return;
    const err = classifyFailure(r.exitCode, r.stderrTail, 'borg list (stale locks)');
    if (err.type === ErrorType.repositoryLocked) return;
    throw this.scrubbed(err, repo);
  }

  async backup(repo: RepositoryAccess, req: BackupRequest, control: RunControl) {
    const counts = emptyCounts();
    const warned = new Set<string>();
    let latest: BackupProgress | null = null;
    const started = Date.now();
    const args = createArgs(repo.url, req);
    const result = await this.run(
      repo,
      args,
      'borg create',
      {
        signal: control.signal,
        captureStdout: true,
        onStderrLine: (line) => {
          const e = parseEvent(line);
          if (e.kind === 'progress') {
            if (e.finished) return;
            latest = backupProgress(e, (Date.now() - started) / 1000);
            control.onProgress?.(latest);
          } else if (e.kind === 'file') countFile(counts, e);
          else if (e.kind === 'log') {
            if (e.level === 'WARNING') {
              const p = warningPath(e.message);
              if (p) warned.add(p);
            }
            if (e.level === 'WARNING' || e.level === 'ERROR' || e.level === 'CRITICAL') control.onLog?.('stderr', `${e.level.toLowerCase()}: ${e.message}`);
          } else if (e.kind === 'other' && !line.startsWith('{') && line.trim() !== '') control.onLog?.('stderr', line);
        },
        onSpawn: control.onSpawn,
        stall: this.stallWatch(() => latest),
        ...(req.stdin?.env ? { env: req.stdin.env } : {}),
      },
      () => latest,
      req.binds ?? [],
      control.launcher,
    );
    if (result.exitCode !== 0 && result.exitCode !== EXIT_WARNING) {
      // The run's archive name is taken: an earlier attempt of this run wrote it (the name
      // comes from the run's tags), so it is this run's archive.
      if (archiveExists(result.stderrTail)) {
        const existing = (await this.archives(repo)).find((a) => a.name === argsArchiveName(args));
        if (existing) return { snapshot: existing.snapshot, stats: null, unreadable: [] };
      }
      this.fail(result, 'borg create', repo);
    }
    if (result.stdout.trim() === '') this.fail(result, 'borg create', repo);
    const created = parseCreateOutput(result.stdout, counts);
    const unreadable = result.exitCode === EXIT_WARNING ? [...new Set([...counts.errors, ...warned])].sort() : [];
    const snapshot: EngineSnapshot = { id: created.id, time: created.time, hostname: req.host, paths: snapshotPaths(req), tags: [...req.tags] };
    return { snapshot, stats: created.stats, unreadable };
  }

  async restore(repo: RepositoryAccess, snapshotId: string, target: string, control: RunControl, options: RestoreOptions = {}): Promise<RestoreSummary> {
    const policy = options.overwrite ?? 'always';
    if (control.launcher && (options.verify || policy !== 'always')) {
      throw new UnsupportedByEngineError('borg', `restore through a pull-mode export with ${options.verify ? 'verify' : `overwrite '${policy}'`}`, 'the comparison with the target runs outside the export');
    }
    const archive = await this.archive(repo, snapshotId);
    const entries = await this.items(repo, archive.name, selectionPaths(options));
    const filesTotal = entries.length;
    const bytesTotal = entries.reduce((sum, e) => sum + (e.size ?? 0), 0);
    await mkdir(target, { recursive: true });
    const kept = await this.keptInTarget(entries, target, policy);
    const keptSet = new Set(kept);
    const bytesSkipped = entries.reduce((sum, e) => sum + (keptSet.has(e.path) ? (e.size ?? 0) : 0), 0);
    const work = kept.length > 0 ? await mkdtemp(join(tmpdir(), 'backstop-borg-restore-')) : null;
    try {
      if (work) {
        await writeFile(join(work, 'patterns'), excludePatternsFile(kept), { mode: 0o600 });
        await writeFile(join(work, 'tar-exclude'), tarExcludeFile(kept), { mode: 0o600 });
      }
      return await this.extract(repo, archive.name, target, control, options, work, { filesTotal, bytesTotal, filesSkipped: kept.length, bytesSkipped });
    } finally {
      if (work) await rm(work, { recursive: true, force: true });
    }
  }

  /** The items the overwrite policy leaves as the target holds them (none for 'always'). */
  private async keptInTarget(entries: readonly SnapshotEntry[], target: string, policy: NonNullable<RestoreOptions['overwrite']>): Promise<string[]> {
    if (policy === 'always') return [];
    const existing = new Map<string, ExistingNode | null>();
    for (const e of entries) {
      if (e.type === 'dir') continue;
      const st = await lstat(join(target, e.path)).catch(() => null);
      existing.set(e.path, st ? { type: st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other', size: st.size, mtimeMs: st.mtimeMs } : null);
    }
    return keptByPolicy(entries, (p) => existing.get(p) ?? null, policy);
  }

  private async extract(
    repo: RepositoryAccess,
    name: string,
    target: string,
    control: RunControl,
    options: RestoreOptions,
    work: string | null,
    totals: { filesTotal: number; bytesTotal: number; filesSkipped: number; bytesSkipped: number },
  ): Promise<RestoreSummary> {
    const { filesTotal } = totals;
    let restored = 0;
    let latest: BackupProgress | null = null;
    const started = Date.now();
    const r = await this.run(
      repo,
      extractArgs(repo.url, name, options, work ? join(work, 'patterns') : undefined),
      'borg extract',
      {
        // borg extract writes below its working directory.
        cwd: target,
        signal: control.signal,
        onSpawn: control.onSpawn,
        onStderrLine: (line) => {
          const msg = parseObject(line);
          if (msg?.type === 'log_message' && msg.name === 'borg.output.list') restored++;
          else if (msg?.type === 'progress_percent' && msg.finished !== true) {
            const total = num(msg.total);
            latest = {
              percent: total > 0 ? Math.round((num(msg.current) / total) * 10_000) / 100 : 0,
              filesDone: restored,
              filesTotal,
              bytesDone: num(msg.current),
              bytesTotal: total,
              currentFile: Array.isArray(msg.info) && typeof msg.info[0] === 'string' ? `/${msg.info[0]}` : null,
              secondsElapsed: (Date.now() - started) / 1000,
            };
            control.onProgress?.(latest);
          } else if (msg?.type === 'log_message' && msg.levelname !== 'INFO') control.onLog?.('stderr', `${String(msg.levelname).toLowerCase()}: ${String(msg.message)}`);
          else if (!msg && line.trim() !== '') control.onLog?.('stderr', line);
        },
        stall: this.stallWatch(() => latest),
      },
      () => latest,
      [],
      // A server restore writes through the agent's export, mounted by the launcher.
      control.launcher,
    );
    if (r.exitCode !== 0 && !onlyUnmatched(r)) this.fail(r, 'borg extract', repo);
    if (options.verify) await this.compare(repo, name, selectionPaths(options), target, control, work ? join(work, 'tar-exclude') : undefined);
    const { bytesTotal, filesSkipped, bytesSkipped } = totals;
    return { filesTotal, filesRestored: restored, filesSkipped, filesDeleted: 0, bytesTotal, bytesRestored: bytesTotal - bytesSkipped, bytesSkipped, verified: options.verify === true };
  }

  /**
   * Reads the restored tree back: `borg export-tar | tar --compare` (GNU tar) compares every
   * member's content, size, mode, owner and mtime with the target. Any difference fails.
   */
  private async compare(repo: RepositoryAccess, name: string, paths: string[], target: string, control: RunControl, excludeFile?: string): Promise<void> {
    const pipe = new PassThrough();
    const differences: string[] = [];
    // What the overwrite policy kept is not the snapshot's and is left out (literal names).
    const exclude = excludeFile ? ['--anchored', '--no-wildcards', `--exclude-from=${excludeFile}`] : [];
    const tar = runProcess('tar', ['--compare', '--numeric-owner', ...exclude, '-C', target, '-f', '-'], {
      stdinFrom: pipe,
      signal: control.signal,
      onStdoutLine: (l) => differences.push(l),
      onStderrLine: (l) => differences.push(l),
    });
    // Should tar stop reading early, keep draining so borg is not blocked on a full pipe.
    void tar.finally(() => pipe.resume());
    const r = await this.run(repo, exportTarArgs(repo.url, name, paths), 'borg export-tar', { stdoutTo: pipe, signal: control.signal }).finally(() => pipe.end());
    const t = await tar;
    if (r.exitCode !== 0 && !onlyUnmatched(r)) this.fail(r, 'borg export-tar (verify)', repo);
    if (t.aborted) throw new BackstopError(ErrorType.engine, 'restore verification: cancelled');
    if (t.exitCode !== 0) {
      const shown = differences.filter((l) => l.trim() !== '').slice(0, 5);
      throw new BackstopError(ErrorType.engine, `restore verification failed: the restored files differ from the snapshot: ${shown.join('; ') || `tar exited with code ${t.exitCode}`}${differences.length > 5 ? ` (and ${differences.length - 5} more)` : ''}`);
    }
  }

  private async items(repo: RepositoryAccess, name: string, paths: string[]): Promise<SnapshotEntry[]> {
    const lines: string[] = [];
    const r = await this.run(repo, listItemsArgs(repo.url, name, paths), 'borg list', { onStdoutLine: (l) => lines.push(l) });
    if (r.exitCode !== 0 && !onlyUnmatched(r)) this.fail(r, 'borg list', repo);
    return parseItems(lines);
  }

  async planRestore(repo: RepositoryAccess, snapshotId: string, target: string, options: RestoreOptions = {}): Promise<PlannedWrite[]> {
    const archive = await this.archive(repo, snapshotId);
    const entries = await this.items(repo, archive.name, selectionPaths(options));
    const kept = new Set(await this.keptInTarget(entries, target, options.overwrite ?? 'always'));
    return plannedWrites(entries.filter((e) => !kept.has(e.path)));
  }

  async listDirectory(repo: RepositoryAccess, snapshotId: string, path: string): Promise<SnapshotListing | null> {
    const archive = await this.archive(repo, snapshotId);
    const lines: string[] = [];
    const r = await this.run(repo, listDirectoryArgs(repo.url, archive.name, path), 'borg list', { onStdoutLine: (l) => lines.push(l) });
    if (r.exitCode !== 0 && !onlyUnmatched(r)) this.fail(r, 'borg list', repo);
    return directoryListing(parseItems(lines), path);
  }

  async walkSnapshot(repo: RepositoryAccess, snapshotId: string, onEntry: (e: SnapshotEntry) => void, control: RunControl = {}): Promise<void> {
    const archive = await this.archive(repo, snapshotId);
    const r = await this.run(repo, listItemsArgs(repo.url, archive.name), 'borg list', {
      signal: control.signal,
      onSpawn: control.onSpawn,
      onStdoutLine: (line) => {
        const e = parseItem(line);
        if (e) onEntry(e);
      },
    });
    if (r.exitCode !== 0) this.fail(r, 'borg list', repo);
  }

  async dumpFile(repo: RepositoryAccess, snapshotId: string, path: string, out: NodeJS.WritableStream, signal?: AbortSignal): Promise<void> {
    const archive = await this.archive(repo, snapshotId);
    // `extract --stdout` of a directory would concatenate its files: check the node first.
    const wanted = `/${borgPath(path)}`;
    const node = (await this.items(repo, archive.name, subtreePaths(path))).find((e) => e.path === wanted);
    if (!node) throw new NotFoundError(`borg extract: ${wanted} not found in the snapshot`);
    if (node.type !== 'file') throw new NotFoundError(`borg extract: ${wanted} is not a regular file`);
    const r = await this.run(repo, dumpFileArgs(repo.url, archive.name, path), 'borg extract --stdout', { stdoutTo: out, signal });
    if (r.exitCode !== 0) this.fail(r, 'borg extract --stdout', repo);
  }

  async dumpArchive(repo: RepositoryAccess, snapshotId: string, path: string, out: NodeJS.WritableStream, control: RunControl): Promise<void> {
    const archive = await this.archive(repo, snapshotId);
    const r = await this.run(repo, exportTarArgs(repo.url, archive.name, subtreePaths(path)), 'borg export-tar', {
      stdoutTo: out,
      signal: control.signal,
      onSpawn: control.onSpawn,
      onStderrLine: (line) => {
        if (!line.startsWith('{') && line.trim() !== '') control.onLog?.('stderr', line);
      },
    });
    if (onlyUnmatched(r)) throw new NotFoundError(`borg export-tar: ${path} not found in the snapshot`);
    if (r.exitCode !== 0) this.fail(r, 'borg export-tar', repo);
  }

  async check(repo: RepositoryAccess, control: RunControl = {}, read?: CheckDataRead): Promise<void> {
    const problems = new CheckProblems();
    let damaged = false;
    const r = await this.run(repo, checkArgs(repo.url, read), 'borg check', {
      signal: control.signal,
      onSpawn: control.onSpawn,
      onStderrLine: (line) => {
        forwardLogLine(line, control);
        const c = borgCheckLine(line);
        if (c.problem !== null) problems.add(c.problem);
        if (c.verdict) damaged = true;
      },
    });
    if (r.exitCode === 0) return;
    // borg finished its check and found damage: a retry would find the same.
    if (r.exitCode !== null && damaged) throw this.scrubbed(problems.damaged('borg check'), repo);
    this.fail(r, 'borg check', repo);
  }

  private refuseAppendOnly(repo: RepositoryAccess): void {
    if (repo.appendOnly) throw new UnsupportedByEngineError('borg', 'prune an append-only repository', 'its server serves it append-only; prune on the repository host or with a full-access key');
  }

  /**
   * The archives carrying all of `req.tags`, grouped as names.ts archiveGroup says (a job's
   * files, each of its plugin streams), and one `borg prune` per group.
   */
  async forget(repo: RepositoryAccess, req: ForgetRequest, control: RunControl = {}): Promise<ForgetGroup[]> {
    if (!req.dryRun) this.refuseAppendOnly(repo);
    // Refuses what borg cannot express before anything runs.
    policyArgs(req.policy);
    const all = await this.archives(repo);
    const byId = new Map(all.map((a) => [a.snapshot.id, a.snapshot]));
    const groups = new Map<string, Archive[]>();
    for (const a of all) {
      if (!req.tags.every((t) => a.snapshot.tags.includes(t))) continue;
      const g = archiveGroup(a.name);
      groups.set(g, [...(groups.get(g) ?? []), a]);
    }
    const out: ForgetGroup[] = [];
    for (const members of groups.values()) {
      const first = members[0]!;
      // Collected whole: the stderr tail runProcess keeps is bounded, a prune's list is not.
      const lines: string[] = [];
      const r = await this.run(repo, pruneArgs(repo.url, groupGlob(first.name), req.policy, req.dryRun), 'borg prune', {
        signal: control.signal,
        onSpawn: control.onSpawn,
        onStderrLine: (line) => {
          lines.push(line);
          const msg = parseObject(line);
          if (!msg) {
            if (line.trim() !== '') control.onLog?.('stderr', line);
          } else if (msg.type === 'log_message' && typeof msg.message === 'string') control.onLog?.('stderr', msg.message);
        },
      });
      if (r.exitCode !== 0) this.fail(r, 'borg prune', repo);
      const decisions = parsePruneOutput(lines.join('\n'), req.policy.keepWithin);
      const snap = (id: string): EngineSnapshot => byId.get(id) ?? { id, time: '', hostname: '', paths: [], tags: [] };
      out.push({
        host: first.snapshot.hostname || null,
        paths: first.snapshot.paths,
        tags: [],
        keep: decisions.filter((d) => d.kind === 'keep').map((d) => ({ snapshot: snap(d.id), reasons: d.kind === 'keep' ? d.reasons : [] })),
        remove: decisions.filter((d) => d.kind === 'remove').map((d) => snap(d.id)),
      });
    }
    return out;
  }

  async forgetSnapshots(repo: RepositoryAccess, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const all = await this.archives(repo);
    // Every id resolves before anything is deleted: borg would only warn about an unknown name.
    const names = [...new Set(ids.map((id) => resolveArchive(all, id).name))];
    const r = await this.run(repo, deleteArgs(repo.url, names), 'borg delete');
    if (r.exitCode !== 0) this.fail(r, 'borg delete', repo);
  }

  async prune(repo: RepositoryAccess, control: RunControl): Promise<PruneOutcome> {
    this.refuseAppendOnly(repo);
    const r = await this.run(repo, compactArgs(repo.url), 'borg compact', {
      signal: control.signal,
      onSpawn: control.onSpawn,
      onStderrLine: (line) => forwardLogLine(line, control),
    });
    if (r.exitCode !== 0) this.fail(r, 'borg compact', repo);
    return parseCompactOutput(r.stderrTail);
  }
}

/** The archive name a create command line writes (the part after `::`). */
function argsArchiveName(args: string[]): string {
  const ref = args.find((a) => a.includes('::'));
  return ref ? ref.slice(ref.indexOf('::') + 2) : '';
}


/** A --log-json line to the run log: borg's message of a log line, a plain line as it is. */
function forwardLogLine(line: string, control: RunControl): void {
  const msg = parseObject(line);
  if (msg?.type === 'log_message' && typeof msg.message === 'string') control.onLog?.('stderr', msg.message);
  else if (!msg && line.trim() !== '') control.onLog?.('stderr', line);
}
