// The interface every backup engine implements (restic first; borg and
// proxmox-backup-client later). Activities depend on this, not on restic.
import type { BackupProgress, BackupStats } from './model';
import type { RetentionPolicy } from './retention';
import type { components } from './generated/api-schema';

/** The engines a repository can name (issue 14). */
export const ENGINE_KINDS = ['restic', 'borg', 'pbs'] as const;
export type EngineKind = (typeof ENGINE_KINDS)[number];

/** Borg over SSH: the client key and the server's host keys, written to a private directory only while borg runs. */
export interface SshAccess {
  /** OpenSSH private key (PEM or OpenSSH format), unencrypted. */
  privateKey: string;
  /** known_hosts lines for the server; StrictHostKeyChecking is always on. */
  knownHosts: string;
}

/** Proxmox Backup Server: what proxmox-backup-client needs beside `url` (PBS_REPOSITORY) and `password` (PBS_PASSWORD). */
export interface PbsAccess {
  /** The server certificate's SHA-256 fingerprint (PBS_FINGERPRINT), `aa:bb:…`. */
  fingerprint: string;
  /** Namespace inside the datastore (`--ns`); empty/absent: the root namespace. */
  namespace?: string;
  /** Client-side encryption key file contents (JSON), written to a private file while the client runs. */
  encryptionKey?: string;
  /** The encryption key's own password (PBS_ENCRYPTION_PASSWORD), when it has one. */
  encryptionPassword?: string;
}

export interface RepositoryAccess {
  /** Which engine reads and writes this repository; absent means restic. */
  engine?: EngineKind;
  /** Engine-specific location (restic: a path or an s3: URL; borg: a path or ssh:// URL; pbs: user@realm!token@host:datastore). */
  url: string;
  /** restic password, borg passphrase, or PBS password / API-token secret. */
  password: string;
  /** Extra environment for the backend (S3 credentials); never logged. */
  env?: Record<string, string>;
  /** Borg repositories reached over ssh://. */
  ssh?: SshAccess;
  /** PBS repositories. */
  pbs?: PbsAccess;
  /**
   * Borg: the server serves this repository append-only (`borg serve --append-only`). Borg
   * cannot tell its client so (a prune there only hides archives until the server's admin
   * rolls it back), so Backstop refuses to prune it.
   */
  appendOnly?: boolean;
}

/** The engine a repository names (restic when it names none). */
export function engineOf(repo: Pick<RepositoryAccess, 'engine'>): EngineKind {
  return repo.engine ?? 'restic';
}

export interface EngineSnapshot {
  id: string;
  time: string;
  hostname: string;
  paths: string[];
  tags: string[];
}

export interface BackupRequest {
  paths: string[];
  excludes: string[];
  tags: string[];
  /** The hostname recorded in the snapshot (the agent's name, stable across reinstalls). */
  host: string;
  /** Read these paths from frozen copies, still recording the original paths. */
  binds?: Array<{ snapshot: string; original: string }>;
  /**
   * Store a command's stdout as the one file `filename` instead of reading `paths` (restic's
   * --stdin-from-command: a non-zero exit of the command fails the backup, nothing is saved).
   * `paths` should then be `[filename]`, the path the snapshot records.
   */
  stdin?: { filename: string; command: string[]; env?: Record<string, string> };
  /**
   * Tell changed files by size and mtime only (restic --ignore-inode): for sources whose
   * inode numbers are not stable between runs, such as a FUSE mount of a pull export.
   */
  ignoreInode?: boolean;
  /**
   * A guest disk's segments (activities/shared/guest/segments.ts): the parent snapshot named
   * outright, a file unchanged when its size and mtime are the parent's (restic
   * --ignore-inode --ignore-ctime: staged afresh each run, its inode and ctime are new), or,
   * with `readAll`, every file read whatever the parent holds (a full read, restic --force).
   */
  segments?: { parent: string | null; readAll: boolean };
}

export interface BackupOutcome {
  snapshot: EngineSnapshot;
  stats: BackupStats | null;
  /** Paths that could not be read; non-empty means a partial ("warning") backup. */
  unreadable: string[];
  /** True when the snapshot was found from an earlier attempt instead of being created. */
  adopted: boolean;
}

export interface RunControl {
  signal?: AbortSignal;
  onProgress?: (p: BackupProgress) => void;
  /** Called with the PID of the engine child, so a crash of this process can be cleaned up. */
  onSpawn?: (pid: number) => void;
  /** Lines for the run log: the engine's plain-text output and its error events, not its progress JSON. */
  onLog?: (stream: 'stdout' | 'stderr', line: string) => void;
  /** Run the engine inside another command (pull mode's mount namespace) instead of directly. */
  launcher?: EngineLauncher;
  /** An item the engine reported it could not restore (restic names it; borg does not), with the engine's reason. */
  onItemError?: (item: string, message: string) => void;
}

/**
 * An engine that can show a repository's snapshots as a read-only filesystem (restic mount).
 * `mount` resolves when the engine exits: after `control.signal` aborts (it unmounts then),
 * or on its own (an error: the mount is gone).
 */
export interface SnapshotMounter {
  mount(repo: RepositoryAccess, mountPoint: string, control: RunControl): Promise<void>;
  /** Where snapshot `snapshotId`'s tree appears under a mount point of `mount`. */
  snapshotPath(mountPoint: string, snapshotId: string): string;
}

/** How pull mode starts the engine: wrapped, with a channel on the wrapper's fd 3. */
export interface EngineLauncher {
  wrap(command: string, args: string[]): { command: string; args: string[] };
  /** Receives the socket of the wrapper's fd 3 once it is spawned (a Node Duplex; typed loosely here, where Node is not). */
  attach(channel: unknown): void;
  /** Names a failure of the wrapper itself (before the engine ran), from its exit code; null if it was the engine's. */
  failure?(exitCode: number | null): string | null;
}

/** Which snapshots `forget` considers (all of `tags`), and the policy restic applies to them. */
export interface ForgetRequest {
  tags: string[];
  policy: RetentionPolicy;
  /** Report only; change nothing. */
  dryRun: boolean;
  /** Take no repository lock (honoured for dry runs only), so a preview never waits for a backup. */
  noLock?: boolean;
  /** restic's --group-by; defaults to host,paths. */
  groupBy?: string;
}

/** One group of snapshots (same host and paths) and what the policy does to it. */
export interface ForgetGroup {
  host: string | null;
  paths: string[];
  tags: string[];
  keep: Array<{ snapshot: EngineSnapshot; reasons: string[] }>;
  remove: EngineSnapshot[];
}

/** What prune reported; null where the engine did not say. */
export interface PruneOutcome {
  blobsRemoved: number | null;
  bytesFreed: number | null;
  bytesRemaining: number | null;
  bytesUnusedAfter: number | null;
}

/** restic's overwrite policies for files that already exist in the restore target. */
export type RestoreOverwrite = 'always' | 'if-changed' | 'if-newer' | 'never';

export interface RestoreOptions {
  /** Paths or glob patterns to restore (restic --include); empty restores everything. */
  include?: string[];
  /**
   * Exact paths to restore, taken literally (a `*` in a name is a `*`): a drill's sample.
   * Restored with `include`; empty or absent adds nothing.
   */
  paths?: string[];
  /** Omitted: the engine's default (restic: always, which rewrites only differing content). */
  overwrite?: RestoreOverwrite;
  /** Read every restored file back and compare it with the snapshot. */
  verify?: boolean;
}

export interface RestoreSummary {
  filesTotal: number;
  filesRestored: number;
  filesSkipped: number;
  filesDeleted: number;
  bytesTotal: number;
  bytesRestored: number;
  bytesSkipped: number;
  /** True when the engine read the restored files back and they matched. */
  verified: boolean;
}

/** An item a restore would write (create or replace), as a dry run reports it. */
export interface PlannedWrite {
  /** Path inside the snapshot; the restore writes it at `<target><path>`. */
  path: string;
  size: number;
}

/**
 * One node of a snapshot's tree, as browsing shows it: the API's SnapshotEntry (path
 * absolute inside the snapshot; size in bytes for regular files, null otherwise; mode the
 * POSIX permission bits with setuid/setgid/sticky; permissions ls-style).
 */
export type SnapshotEntry = components['schemas']['SnapshotEntry'];

export type SnapshotEntryType = SnapshotEntry['type'];

export interface SnapshotListing {
  /** The listed path's own node; null for the snapshot root. */
  node: SnapshotEntry | null;
  children: SnapshotEntry[];
}

/**
 * A check that reads stored data back, bounded (a restore drill's integrity step). Without
 * it, `check` verifies the repository's structure only.
 */
export interface CheckDataRead {
  /** restic: the share of data packs read (`--read-data-subset=<n>%`, a random subset each time); 0 reads none. */
  readDataPercent: number;
  /** borg: the newest archives whose data is read and verified (`--verify-data --last <n>`). */
  lastArchives: number;
  /**
   * restic: run without restic's own (exclusive) lock, beside backups that hold Backstop's
   * shared repository lock with the caller. Safe because only a prune removes data, and a
   * prune needs the exclusive repository lock; packs a running backup adds are at most
   * reported as not yet indexed, which restic check counts as no error.
   */
  besideBackups: boolean;
}

export interface BackupEngine {
  init(repo: RepositoryAccess): Promise<void>;
  /** Fails with a typed error when the repository is missing or the password is wrong. */
  verifyAccess(repo: RepositoryAccess): Promise<void>;
  findSnapshotsByTag(repo: RepositoryAccess, tag: string): Promise<EngineSnapshot[]>;
  /** Removes locks whose owner is gone; never a lock held by a live process. */
  unlockStale(repo: RepositoryAccess): Promise<void>;
  backup(repo: RepositoryAccess, req: BackupRequest, control: RunControl): Promise<Omit<BackupOutcome, 'adopted'>>;
  /** Restores into `target`; re-running into the same target converges (restic skips files already correct). */
  restore(repo: RepositoryAccess, snapshotId: string, target: string, control: RunControl, options?: RestoreOptions): Promise<RestoreSummary>;
  /** What `restore` with the same arguments would write, without writing anything. */
  planRestore(repo: RepositoryAccess, snapshotId: string, target: string, options?: RestoreOptions): Promise<PlannedWrite[]>;
  /** One directory of a snapshot (non-recursive); null when the snapshot has nothing at `path`. */
  listDirectory(repo: RepositoryAccess, snapshotId: string, path: string): Promise<SnapshotListing | null>;
  /**
   * Every node of a snapshot (recursively), one at a time as the engine lists them, so a
   * snapshot of millions of files is never held in memory whole.
   */
  walkSnapshot(repo: RepositoryAccess, snapshotId: string, onEntry: (e: SnapshotEntry) => void, control?: RunControl): Promise<void>;
  /** Streams one regular file of a snapshot into `out` (not ended, so the caller decides). */
  dumpFile(repo: RepositoryAccess, snapshotId: string, path: string, out: NodeJS.WritableStream, signal?: AbortSignal): Promise<void>;
  /**
   * Streams a directory of a snapshot (`/`: all of it) into `out` as a tar archive with
   * owners, modes, times, symlinks and extended attributes, members named by their full
   * paths without the leading `/` (not ended). Server restores send it to the target agent.
   */
  dumpArchive(repo: RepositoryAccess, snapshotId: string, path: string, out: NodeJS.WritableStream, control: RunControl): Promise<void>;
  /**
   * Verifies the repository's structure (restic check, borg check), and with `read` a bounded
   * part of its data; fails with RepositoryDamagedError naming what is missing or corrupt.
   * Stops on `control.signal`.
   */
  check(repo: RepositoryAccess, control?: RunControl, read?: CheckDataRead): Promise<void>;
  /** Applies a retention policy (or reports what it would do, with `dryRun`). */
  forget(repo: RepositoryAccess, req: ForgetRequest, control?: RunControl): Promise<ForgetGroup[]>;
  /** Removes these snapshots (not their data: a prune does that); unknown ids are an error. */
  forgetSnapshots(repo: RepositoryAccess, ids: string[]): Promise<void>;
  /** Removes data no snapshot references; long-running, stops on `control.signal`. */
  prune(repo: RepositoryAccess, control: RunControl): Promise<PruneOutcome>;
  /** Every snapshot in the repository. */
  listSnapshots(repo: RepositoryAccess): Promise<EngineSnapshot[]>;
}
