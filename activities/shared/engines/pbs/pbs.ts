// The proxmox-backup-client implementation of BackupEngine: spawns the client through
// runProcess (like restic.ts) and interprets its output with the pure modules beside it.
//
// What PBS does differently, and how Backstop maps it:
// - The datastore is created and maintained on the server. `init` only verifies access;
//   `check` (verification jobs) and `prune` (garbage collection) are the datastore's own
//   scheduled jobs, so both are refused with UnsupportedByEngineError.
// - Snapshot ids, tags and paths: see snapshots.ts (sha256 ids; tags in the notes' first
//   line and in a `backstop.conf` blob inside the snapshot).
// - Locks are the server's; there is nothing stale for a client to remove.
// - Pull mode: PBS Plus runs the client on the PBS host against the agent's mounted
//   filesystem; here `control.launcher` wraps the client the same way it wraps restic.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { BackstopError, ErrorType, InputError, NotFoundError, UnsupportedByEngineError } from '../../../../contract/errors';
import type {
  BackupEngine, BackupRequest, EngineLauncher, EngineSnapshot, ForgetGroup, ForgetRequest, PlannedWrite, PruneOutcome,
  RepositoryAccess, RestoreOptions, RestoreSummary, RunControl, SnapshotListing,
} from '../../../../contract/engine';
import type { BackupProgress } from '../../../../contract/model';
import type { SnapshotBind } from '../../../../contract/snapshot';
import { runProcess, type RunOptions, type RunResult } from '../../process';
import { inMountNamespace } from '../../snapshot-commands';
import { describeFilesBytes, stallReason } from '../../stall-watch';
import {
  ENGINE, backupArgs, catalogDumpArgs, checkRestoreOptions, forgetSnapshotArgs, notesUpdateArgs, pbsEnv, pruneArgs,
  recordReadArgs, restoreArgs, snapshotListArgs,
} from './args';
import { BackupReport, classifyFailure, filesFromCatalog, hasRecordBlob, listingFromCatalog, parsePrune, parseSnapshotList, toEngineSnapshot, type PbsSnapshot } from './parse';
import { checkNamespace } from './repository';
import { archivesFor, encodeRecord, notesFor, parseRecord, type SnapshotRecord } from './snapshots';
import { scrub } from '../../scrub-error';

export interface PbsOptions {
  /** The client binary; default `proxmox-backup-client` on PATH (core/config.ts is where a setting for it would go). */
  binary?: string;
  /** A backup or restore without output or reads for this long is stopped as stalled. */
  stallTimeoutMs?: number;
  /** Between SIGINT and SIGKILL when the client is stopped. */
  killGraceMs?: number;
}

export const DEFAULT_STALL_TIMEOUT_MS = 10 * 60_000;

interface RunSpec {
  what: string;
  extra?: RunOptions;
  binds?: SnapshotBind[];
  launcher?: EngineLauncher;
  lastProgress?: () => BackupProgress | null;
}

export class ProxmoxBackupClient implements BackupEngine {
  private readonly binary: string;

  constructor(private readonly opts: PbsOptions = {}) {
    this.binary = opts.binary ?? 'proxmox-backup-client';
  }

  private secrets(repo: RepositoryAccess): string[] {
    return [repo.password, repo.pbs?.encryptionPassword ?? '', repo.pbs?.encryptionKey ?? ''].filter((s) => s !== '');
  }

  private async run(repo: RepositoryAccess, args: string[], spec: RunSpec): Promise<RunResult> {
    const env = pbsEnv(repo);
    const cmd = spec.launcher ? spec.launcher.wrap(this.binary, args) : inMountNamespace(spec.binds ?? [], this.binary, args);
    const launcher = spec.launcher;
    const result = await runProcess(cmd.command, cmd.args, {
      ...(launcher ? { channel: (socket) => launcher.attach(socket) } : {}),
      killGraceMs: this.opts.killGraceMs,
      ...spec.extra,
      env: { ...spec.extra?.env, ...env },
    }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') throw new InputError(`proxmox-backup-client not found: ${this.binary} (install the Proxmox Backup client on this host)`);
      throw e;
    });
    if (result.aborted) throw new BackstopError(ErrorType.engine, `${spec.what}: cancelled`);
    const launchFailure = launcher?.failure?.(result.exitCode);
    if (launchFailure) throw this.scrub(new BackstopError(ErrorType.engine, `${spec.what}: ${launchFailure}: ${result.stderrTail.trim().split('\n').slice(-3).join(' / ')}`), repo);
    if (result.stalled) {
      const p = spec.lastProgress?.() ?? null;
      throw new BackstopError(ErrorType.stalled, stallReason(spec.what, result.stalledForMs, p ? describeFilesBytes(p) : null));
    }
    return result;
  }

  private scrub(err: BackstopError, repo: RepositoryAccess): BackstopError {
    return scrub(err, this.secrets(repo));
  }

  private fail(result: RunResult, what: string, repo: RepositoryAccess): never {
    throw this.scrub(classifyFailure(result.exitCode, result.stderrTail, what), repo);
  }

  /** A private directory (0700) for the key and the record while the client runs; removed after. */
  private async withPrivateDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(tmpdir(), 'backstop-pbs-'));
    try {
      return await fn(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Writes the encryption key (0600) when the repository has one; the --keyfile path or null. */
  private async keyfile(repo: RepositoryAccess, dir: string): Promise<string | null> {
    if (!repo.pbs?.encryptionKey) return null;
    const path = join(dir, 'encryption-key.json');
    await writeFile(path, repo.pbs.encryptionKey, { mode: 0o600 });
    return path;
  }

  private withKey<T>(repo: RepositoryAccess, fn: (keyfile: string | null, dir: string) => Promise<T>): Promise<T> {
    return this.withPrivateDir(async (dir) => fn(await this.keyfile(repo, dir), dir));
  }

  private ns(repo: RepositoryAccess): string | null {
    return checkNamespace(repo.pbs?.namespace);
  }

  /** Init is verification: PBS datastores (and namespaces) are created on the server. */
  async init(repo: RepositoryAccess): Promise<void> {
    await this.verifyAccess(repo);
  }

  /** Lists the namespace's snapshots: proves the server, fingerprint, credentials, datastore and namespace. */
  async verifyAccess(repo: RepositoryAccess): Promise<void> {
    await this.listPbs(repo);
  }

  private async listPbs(repo: RepositoryAccess): Promise<PbsSnapshot[]> {
    const r = await this.run(repo, snapshotListArgs(repo), { what: 'proxmox-backup-client snapshot list', extra: { captureStdout: true } });
    if (r.exitCode !== 0) this.fail(r, 'proxmox-backup-client snapshot list', repo);
    return parseSnapshotList(r.stdout, this.ns(repo));
  }

  async listSnapshots(repo: RepositoryAccess): Promise<EngineSnapshot[]> {
    return (await this.listPbs(repo)).map((s) => s.snapshot);
  }

  /** The PBS snapshot behind a Backstop id; NotFoundError when none hashes to it. */
  private async resolve(repo: RepositoryAccess, snapshotId: string): Promise<PbsSnapshot> {
    const found = (await this.listPbs(repo)).find((s) => s.snapshot.id === snapshotId.toLowerCase());
    if (!found) throw new NotFoundError(`snapshot ${snapshotId} not found in the PBS datastore`);
    return found;
  }

  /**
   * Snapshots whose notes carry `tag`. A snapshot without notes but with Backstop's record
   * blob (a crash between backup and note) is read from the blob and its note repaired, so
   * adoption by run tag still finds it. Snapshots without either are not Backstop's.
   */
  async findSnapshotsByTag(repo: RepositoryAccess, tag: string): Promise<EngineSnapshot[]> {
    const all = await this.listPbs(repo);
    const out: EngineSnapshot[] = [];
    for (const s of all) {
      let record = s.record;
      if (!record && hasRecordBlob(s)) {
        record = await this.readRecordBlob(repo, s.path).catch(() => null);
        if (record) await this.writeNotes(repo, s.path, record).catch(() => undefined);
      }
      if (record?.tags.includes(tag)) out.push(toEngineSnapshot(s.path, s.backupId, s.backupTime, record, this.ns(repo)));
    }
    return out;
  }

  private async readRecordBlob(repo: RepositoryAccess, path: string): Promise<SnapshotRecord | null> {
    return this.withKey(repo, async (keyfile) => {
      const r = await this.run(repo, recordReadArgs(repo, path, keyfile), { what: 'proxmox-backup-client restore backstop.conf', extra: { captureStdout: true } });
      if (r.exitCode !== 0) this.fail(r, 'proxmox-backup-client restore backstop.conf', repo);
      return parseRecord(r.stdout);
    });
  }

  private async writeNotes(repo: RepositoryAccess, path: string, record: SnapshotRecord): Promise<void> {
    const r = await this.run(repo, notesUpdateArgs(repo, path, notesFor(record)), { what: 'proxmox-backup-client snapshot notes update' });
    if (r.exitCode !== 0) this.fail(r, 'proxmox-backup-client snapshot notes update', repo);
  }

  /** The server holds the locks (per backup group) and releases them itself. */
  async unlockStale(): Promise<void> {}

  async backup(repo: RepositoryAccess, req: BackupRequest, control: RunControl) {
    const archives = archivesFor(req.paths);
    const record: SnapshotRecord = { tags: req.tags, archives: Object.fromEntries(archives.map((a) => [a.archive, a.path])) };
    return this.withKey(repo, async (keyfile, dir) => {
      const recordFile = join(dir, 'backstop.json');
      await writeFile(recordFile, `${encodeRecord(record)}\n`, { mode: 0o600 });
      const args = backupArgs(req, repo, keyfile, recordFile);
      const report = new BackupReport();
      let latest: BackupProgress | null = null;
      const onLine = (stream: 'stdout' | 'stderr') => (line: string) => {
        const p = report.push(line);
        if (p) {
          latest = p;
          control.onProgress?.(p);
        }
        if (line.trim() !== '') control.onLog?.(stream, line);
      };
      const result = await this.run(repo, args, {
        what: 'proxmox-backup-client backup',
        extra: {
          signal: control.signal,
          onSpawn: control.onSpawn,
          onStdoutLine: onLine('stdout'),
          onStderrLine: onLine('stderr'),
          // The client prints little while it reads: the bytes it reads count as progress too.
          stall: { timeoutMs: this.opts.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS, countReads: true },
        },
        binds: req.binds ?? [],
        launcher: control.launcher,
        lastProgress: () => latest,
      });
      if (result.exitCode !== 0) this.fail(result, 'proxmox-backup-client backup', repo);
      if (!report.snapshot) throw new BackstopError(ErrorType.engine, 'proxmox-backup-client backup: finished without naming its snapshot ("Starting backup: …" missing)');
      // The blob already holds the record; the note makes it visible to `snapshot list`.
      await this.writeNotes(repo, report.snapshot, record);
      const [, backupId, time] = report.snapshot.split('/');
      const snapshot = toEngineSnapshot(report.snapshot, backupId!, Date.parse(time!) / 1000, record, this.ns(repo));
      return { snapshot, stats: report.stats(), unreadable: [] };
    });
  }

  /** The archives of `s` and the original paths they hold (from Backstop's record). */
  private archivesOf(s: PbsSnapshot): Record<string, string> {
    if (s.record && Object.keys(s.record.archives).length > 0) return s.record.archives;
    // Not written by Backstop: show each pxar archive under /<archive name>.
    const out: Record<string, string> = {};
    for (const f of s.files) {
      const m = /^(.+)\.m?pxar\.didx$/.exec(f);
      if (m) out[`${m[1]}.pxar`] = `/${m[1]}`;
    }
    return out;
  }

  /** For each archive: whether it is restored and with which --pattern values (archive-relative). */
  private restorePlan(archives: Record<string, string>, include: string[]): Array<{ archive: string; root: string; patterns: string[] }> {
    const plan: Array<{ archive: string; root: string; patterns: string[] }> = [];
    for (const [archive, root] of Object.entries(archives)) {
      if (include.length === 0) {
        plan.push({ archive, root, patterns: [] });
        continue;
      }
      const patterns: string[] = [];
      let whole = false;
      for (const inc of include) {
        const p = posix.resolve('/', inc);
        if (root === '/' || p === root || p.startsWith(`${root}/`)) {
          const rel = root === '/' ? p : p.slice(root.length);
          if (rel === '' || rel === '/') whole = true;
          else patterns.push(rel);
        } else if (root.startsWith(p === '/' ? '/' : `${p}/`)) whole = true;
      }
      if (whole) plan.push({ archive, root, patterns: [] });
      else if (patterns.length > 0) plan.push({ archive, root, patterns });
    }
    return plan;
  }

  /**
   * Restores each archive at `<target><original path>` (as restic lays a restore out), only
   * the archives `options.include` reaches, each limited by --pattern.
   */
  async restore(repo: RepositoryAccess, snapshotId: string, target: string, control: RunControl, options: RestoreOptions = {}): Promise<RestoreSummary> {
    checkRestoreOptions(options);
    const s = await this.resolve(repo, snapshotId);
    const plan = this.restorePlan(this.archivesOf(s), options.include ?? []);
    if (plan.length === 0) throw new NotFoundError(`none of ${(options.include ?? []).join(', ')} is in snapshot ${snapshotId}`);
    await this.withKey(repo, async (keyfile) => {
      for (const step of plan) {
        const dest = step.root === '/' ? target : join(target, step.root);
        // The client creates the target directory but not its parents. In pull mode the
        // target is on the agent's export, seen only inside the launcher: the client must
        // find the parents there.
        if (!control.launcher) await mkdir(dirname(dest), { recursive: true });
        const r = await this.run(repo, restoreArgs(repo, s.path, step.archive, dest, step.patterns, keyfile), {
          what: 'proxmox-backup-client restore',
          extra: {
            signal: control.signal,
            onSpawn: control.onSpawn,
            onStdoutLine: (line) => control.onLog?.('stdout', line),
            onStderrLine: (line) => control.onLog?.('stderr', line),
            stall: { timeoutMs: this.opts.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS, countReads: true },
          },
          launcher: control.launcher,
        });
        if (r.exitCode !== 0) this.fail(r, 'proxmox-backup-client restore', repo);
      }
    });
    // The client prints no restore summary: the counts are the catalog's, when it can be read.
    const planned = await this.planFromCatalog(repo, s, options.include ?? []).catch(() => null);
    const files = planned?.length ?? 0;
    const bytes = planned?.reduce((sum, p) => sum + p.size, 0) ?? 0;
    return { filesTotal: files, filesRestored: files, filesSkipped: 0, filesDeleted: 0, bytesTotal: bytes, bytesRestored: bytes, bytesSkipped: 0, verified: false };
  }

  private async catalogLines(repo: RepositoryAccess, path: string): Promise<string[]> {
    const lines: string[] = [];
    await this.withKey(repo, async (keyfile) => {
      const r = await this.run(repo, catalogDumpArgs(repo, path, keyfile), { what: 'proxmox-backup-client catalog dump', extra: { onStdoutLine: (l) => lines.push(l) } });
      if (r.exitCode !== 0) this.fail(r, 'proxmox-backup-client catalog dump', repo);
    });
    return lines;
  }

  private async planFromCatalog(repo: RepositoryAccess, s: PbsSnapshot, include: string[]): Promise<PlannedWrite[]> {
    const roots = include.map((i) => posix.resolve('/', i));
    const wanted = (p: string) => roots.length === 0 || roots.some((r) => r === '/' || p === r || p.startsWith(`${r}/`));
    return filesFromCatalog(await this.catalogLines(repo, s.path), this.archivesOf(s), wanted);
  }

  /** The client has no dry run: with overwrite "always", every included file of the catalog is written. */
  async planRestore(repo: RepositoryAccess, snapshotId: string, _target: string, options: RestoreOptions = {}): Promise<PlannedWrite[]> {
    checkRestoreOptions(options);
    if ((options.include ?? []).some((i) => /[*?[]/.test(i))) {
      throw new UnsupportedByEngineError(ENGINE, 'plan a restore of glob patterns', 'the plan is read from the catalog, which Backstop matches by path only; name paths instead');
    }
    return this.planFromCatalog(repo, await this.resolve(repo, snapshotId), options.include ?? []);
  }

  async listDirectory(repo: RepositoryAccess, snapshotId: string, path: string): Promise<SnapshotListing | null> {
    const s = await this.resolve(repo, snapshotId);
    return listingFromCatalog(await this.catalogLines(repo, s.path), this.archivesOf(s), posix.resolve('/', path));
  }

  walkSnapshot(): Promise<void> {
    return Promise.reject(new UnsupportedByEngineError(ENGINE, 'be drilled', 'Backstop cannot read a PBS snapshot\'s files back one by one; schedule a verify job on the datastore'));
  }

  /** `restore … -` writes a pxar archive unextracted: the client cannot stream one file. */
  dumpFile(): Promise<void> {
    return Promise.reject(new UnsupportedByEngineError(ENGINE, 'stream a single file', 'proxmox-backup-client does not extract a file to standard output; restore it into a directory instead'));
  }

  dumpArchive(): Promise<void> {
    return Promise.reject(new UnsupportedByEngineError(ENGINE, 'stream a directory as a tar archive', 'proxmox-backup-client writes pxar, not tar, to standard output; restore on the target agent instead'));
  }

  check(): Promise<void> {
    return Promise.reject(new UnsupportedByEngineError(ENGINE, 'be checked by Backstop', 'proxmox-backup-client has no check; schedule a verification job on the PBS datastore'));
  }

  prune(): Promise<PruneOutcome> {
    return Promise.reject(new UnsupportedByEngineError(ENGINE, 'be pruned by Backstop', 'garbage collection runs on the PBS server; it is scheduled on the datastore (proxmox-backup-manager garbage-collection)'));
  }

  /**
   * PBS prunes a backup group (`host/<agent>`), all of it. Backstop's policy is per job (its
   * tags): each group holding matching snapshots is pruned only when every snapshot in it
   * matches, since PBS would otherwise apply the policy to other jobs' snapshots as well.
   */
  async forget(repo: RepositoryAccess, req: ForgetRequest, control: RunControl = {}): Promise<ForgetGroup[]> {
    if (req.groupBy !== undefined && req.groupBy !== 'host' && req.groupBy !== 'host,paths') {
      throw new UnsupportedByEngineError(ENGINE, `group snapshots by "${req.groupBy}"`, 'PBS prunes by backup group (backup type and id)');
    }
    const all = await this.listPbs(repo);
    const known = new Map(all.map((s) => [s.path, s]));
    const matches = (s: PbsSnapshot) => req.tags.every((t) => s.record?.tags.includes(t));
    const groups = [...new Set(all.filter(matches).map((s) => `${s.backupType}/${s.backupId}`))].sort();
    for (const g of groups) {
      const foreign = all.filter((s) => `${s.backupType}/${s.backupId}` === g && !matches(s));
      if (foreign.length > 0) {
        throw new UnsupportedByEngineError(ENGINE, `apply a job's retention to group ${g}`, `the group also holds ${foreign.length} snapshot(s) of other jobs or not made by Backstop, and PBS prune applies to the whole group; give each job its own backup id or prune on the PBS server`);
      }
    }
    const out: ForgetGroup[] = [];
    for (const g of groups) {
      const r = await this.run(repo, pruneArgs(repo, g, req.policy, req.dryRun), {
        what: 'proxmox-backup-client prune',
        extra: { captureStdout: true, signal: control.signal, onSpawn: control.onSpawn, onStderrLine: (line) => control.onLog?.('stderr', line) },
      });
      if (r.exitCode !== 0) this.fail(r, 'proxmox-backup-client prune', repo);
      out.push(parsePrune(r.stdout, known, this.ns(repo), req.tags));
    }
    return out;
  }

  async forgetSnapshots(repo: RepositoryAccess, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const byId = new Map((await this.listPbs(repo)).map((s) => [s.snapshot.id, s]));
    const missing = ids.filter((id) => !byId.has(id.toLowerCase()));
    if (missing.length > 0) throw new NotFoundError(`snapshot(s) not found in the PBS datastore: ${missing.join(', ')}`);
    for (const id of ids) {
      const r = await this.run(repo, forgetSnapshotArgs(repo, byId.get(id.toLowerCase())!.path), { what: 'proxmox-backup-client snapshot forget' });
      if (r.exitCode !== 0) this.fail(r, 'proxmox-backup-client snapshot forget', repo);
    }
  }
}
