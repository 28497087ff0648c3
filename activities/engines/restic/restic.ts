// The restic implementation of BackupEngine: spawns restic through runProcess and
// interprets its output with the pure parsers beside it.
import { BackstopError, ErrorType } from '../../../core/errors';
import type { BackupEngine, BackupRequest, EngineSnapshot, RepositoryAccess, RunControl } from '../engine';
import { runProcess, type RunResult } from '../../process';
import { backupArgs, catConfigArgs, checkArgs, initArgs, resticEnv, restoreArgs, snapshotsArgs, unlockArgs } from './args';
import { classifyFailure, parseBackupLine, parseSnapshots, unreadablePaths, type BackupEvent } from './parse';

export interface ResticOptions {
  binary?: string;
  cacheDir?: string;
}

/** restic's exit code for "snapshot written, but some source files could not be read". */
const EXIT_PARTIAL = 3;

export class Restic implements BackupEngine {
  private readonly binary: string;

  constructor(private readonly opts: ResticOptions = {}) {
    this.binary = opts.binary ?? process.env.BACKSTOP_RESTIC ?? 'restic';
  }

  private async run(repo: RepositoryAccess, args: string[], what: string, extra: Parameters<typeof runProcess>[2] = {}): Promise<RunResult> {
    const result = await runProcess(this.binary, args, {
      ...extra,
      env: resticEnv(repo.url, repo.password, repo.env, this.opts.cacheDir),
    }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') throw new BackstopError(ErrorType.input, `restic binary not found: ${this.binary}`);
      throw e;
    });
    if (result.aborted) throw new BackstopError(ErrorType.engine, `${what}: cancelled`);
    return result;
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
    const onLine = (line: string) => {
      const e = parseBackupLine(line);
      if (e.kind === 'status') control.onProgress?.(e.progress);
      else if (e.kind === 'summary') summary = e;
      else if (e.kind === 'error') events.push(e);
    };
    const result = await runProcess(this.binary, backupArgs(req), {
      env: resticEnv(repo.url, repo.password, repo.env, this.opts.cacheDir),
      signal: control.signal,
      onStdoutLine: onLine,
      // restic 0.14 writes per-file errors as JSON on stderr.
      onStderrLine: onLine,
      onSpawn: control.onSpawn,
    });
    if (result.aborted) throw new BackstopError(ErrorType.engine, 'restic backup: cancelled');
    if ((result.exitCode !== 0 && result.exitCode !== EXIT_PARTIAL) || !summary) this.fail(result, 'restic backup', repo);
    // The summary carries only a short id in restic 0.14; the tag gives the full record.
    const runTag = req.tags[0];
    const found = runTag ? await this.findSnapshotsByTag(repo, runTag) : [];
    const snapshot = found.find((s) => s.id.startsWith(summary!.snapshotId));
    if (!snapshot) throw new BackstopError(ErrorType.engine, `restic backup: snapshot ${summary.snapshotId} not found after backup`);
    return { snapshot, stats: summary.stats, unreadable: result.exitCode === EXIT_PARTIAL ? unreadablePaths(events) : [] };
  }

  async restore(repo: RepositoryAccess, snapshotId: string, target: string, control: RunControl): Promise<void> {
    const r = await runProcess(this.binary, restoreArgs(snapshotId, target), {
      env: resticEnv(repo.url, repo.password, repo.env, this.opts.cacheDir),
      signal: control.signal,
    });
    if (r.aborted) throw new BackstopError(ErrorType.engine, 'restic restore: cancelled');
    if (r.exitCode !== 0) this.fail(r, 'restic restore', repo);
  }

  async check(repo: RepositoryAccess): Promise<void> {
    const r = await this.run(repo, checkArgs(), 'restic check');
    if (r.exitCode !== 0) this.fail(r, 'restic check', repo);
  }
}

/** Belt and braces: no error message leaves this module with a secret in it. */
export function scrub(err: BackstopError, secrets: string[]): BackstopError {
  let message = err.message;
  for (const s of secrets) if (s) message = message.split(s).join('[redacted]');
  return message === err.message ? err : new BackstopError(err.type, message, err.details);
}
