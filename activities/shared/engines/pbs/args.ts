// proxmox-backup-client command lines as data. Secrets (the password or API-token secret,
// the encryption key's password) travel only in the environment (PBS_PASSWORD,
// PBS_ENCRYPTION_PASSWORD), never in argv where `ps` shows them; the encryption key itself
// is a private file named by --keyfile. Sources: the client's manual (backup-client.rst:
// repository, environment, backup, restore, catalog, notes, prune) and its CLI definitions.
import { UnsupportedByEngineError } from '../../../../contract/errors';
import type { BackupRequest, RepositoryAccess, RestoreOptions } from '../../../../contract/engine';
import type { RetentionPolicy } from '../../../../contract/retention';
import { checkFingerprint, checkNamespace, parsePbsRepository } from './repository';
import { BACKUP_TYPE, RECORD_ARCHIVE, archivesFor, pxarExcludes } from './snapshots';

export const ENGINE = 'pbs';

/** The client's environment. Only PBS_PASSWORD and PBS_ENCRYPTION_PASSWORD carry secrets. */
export function pbsEnv(repo: RepositoryAccess): Record<string, string> {
  if (!repo.pbs) throw new UnsupportedByEngineError(ENGINE, 'be reached without server details', 'the repository has no PBS fingerprint (pbs.fingerprint)');
  parsePbsRepository(repo.url);
  const env: Record<string, string> = {
    PBS_REPOSITORY: repo.url.trim(),
    PBS_PASSWORD: repo.password,
    PBS_FINGERPRINT: checkFingerprint(repo.pbs.fingerprint),
    // catalog dump prints file mtimes in local time with a `Z` suffix: make local time UTC.
    TZ: 'UTC',
  };
  if (repo.pbs.encryptionPassword) env.PBS_ENCRYPTION_PASSWORD = repo.pbs.encryptionPassword;
  return env;
}

/** `--ns <ns>` when the repository names a namespace. */
export function nsArgs(repo: Pick<RepositoryAccess, 'pbs'>): string[] {
  const ns = checkNamespace(repo.pbs?.namespace);
  return ns ? ['--ns', ns] : [];
}

/**
 * Encryption: `--keyfile` when the repository has a key, else `--crypt-mode none` so that a
 * default key in the client's home (~/.config/proxmox-backup/encryption-key.json) is never
 * picked up behind Backstop's back.
 */
export function cryptArgs(keyfile: string | null): string[] {
  return keyfile ? ['--keyfile', keyfile] : ['--crypt-mode', 'none'];
}

/**
 * `backup <name>.pxar:<path>... backstop.conf:<record file> --backup-type host --backup-id
 * <agent> --change-detection-mode metadata [--exclude …]`. The record blob makes the run's
 * tags part of the snapshot itself (see snapshots.ts).
 */
export function backupArgs(req: BackupRequest, repo: Pick<RepositoryAccess, 'pbs'>, keyfile: string | null, recordFile: string): string[] {
  if (req.stdin) throw new UnsupportedByEngineError(ENGINE, 'store a command\'s output as a file', 'proxmox-backup-client backs up files and block devices only; use a restic repository for database and pipe plugins');
  if (req.paths.length === 0) throw new UnsupportedByEngineError(ENGINE, 'back up nothing', 'a backup needs at least one path');
  const args = ['backup'];
  for (const a of archivesFor(req.paths)) args.push(`${a.archive}:${a.path}`);
  args.push(`${RECORD_ARCHIVE}:${recordFile}`);
  args.push('--backup-type', BACKUP_TYPE, '--backup-id', req.host, ...nsArgs(repo));
  // Metadata mode: unchanged files are found by their metadata and their chunks reused.
  args.push('--change-detection-mode', 'metadata');
  for (const ex of pxarExcludes(req.excludes, req.paths)) args.push('--exclude', ex);
  args.push(...cryptArgs(keyfile));
  return args;
}

export function snapshotListArgs(repo: Pick<RepositoryAccess, 'pbs'>, group?: string): string[] {
  return ['snapshot', 'list', ...(group ? [group] : []), ...nsArgs(repo), '--output-format', 'json'];
}

/** Notes are not secret; they are Backstop's tags and paths. */
export function notesUpdateArgs(repo: Pick<RepositoryAccess, 'pbs'>, snapshot: string, notes: string): string[] {
  return ['snapshot', 'notes', 'update', snapshot, notes, ...nsArgs(repo)];
}

export function forgetSnapshotArgs(repo: Pick<RepositoryAccess, 'pbs'>, snapshot: string): string[] {
  return ['snapshot', 'forget', snapshot, ...nsArgs(repo)];
}

export function catalogDumpArgs(repo: Pick<RepositoryAccess, 'pbs'>, snapshot: string, keyfile: string | null): string[] {
  return ['catalog', 'dump', snapshot, ...nsArgs(repo), ...(keyfile ? ['--keyfile', keyfile] : [])];
}

/** Writes a blob archive (the record) to stdout: `restore <snap> backstop.conf -`. */
export function recordReadArgs(repo: Pick<RepositoryAccess, 'pbs'>, snapshot: string, keyfile: string | null): string[] {
  return ['restore', snapshot, RECORD_ARCHIVE, '-', ...nsArgs(repo), ...(keyfile ? ['--keyfile', keyfile] : [])];
}

/**
 * What the client can do about files that already exist in the target: overwrite them
 * (`--overwrite`: files, symlinks and hardlinks) into directories that may exist
 * (`--allow-existing-dirs`). Skipping existing files or comparing them is not something it
 * does: those policies, and read-back verification, are refused.
 */
export function checkRestoreOptions(options: RestoreOptions): void {
  const overwrite = options.overwrite ?? 'always';
  if (overwrite !== 'always') {
    throw new UnsupportedByEngineError(ENGINE, `restore with overwrite "${overwrite}"`, 'proxmox-backup-client either overwrites existing files or fails on them; use overwrite "always" or restore into an empty directory');
  }
  if (options.verify) {
    throw new UnsupportedByEngineError(ENGINE, 'verify a restore', 'proxmox-backup-client does not read restored files back; verification jobs on the PBS datastore check the chunks');
  }
}

/** `restore <snap> <archive> <target> --allow-existing-dirs --overwrite [--pattern …]`. */
export function restoreArgs(repo: Pick<RepositoryAccess, 'pbs'>, snapshot: string, archive: string, target: string, patterns: string[], keyfile: string | null): string[] {
  const args = ['restore', snapshot, archive, target, ...nsArgs(repo), '--allow-existing-dirs', '--overwrite'];
  for (const p of patterns) args.push('--pattern', p);
  if (keyfile) args.push('--keyfile', keyfile);
  return args;
}

const POLICY_FLAGS: ReadonlyArray<[keyof RetentionPolicy, string]> = [
  ['keepLast', '--keep-last'],
  ['keepHourly', '--keep-hourly'],
  ['keepDaily', '--keep-daily'],
  ['keepWeekly', '--keep-weekly'],
  ['keepMonthly', '--keep-monthly'],
  ['keepYearly', '--keep-yearly'],
];

/** The policy as prune's --keep-* flags; keepWithin and keepTags have no PBS equivalent. */
export function policyArgs(policy: RetentionPolicy): string[] {
  if (policy.keepWithin !== undefined) {
    throw new UnsupportedByEngineError(ENGINE, 'keep snapshots within a duration (keepWithin)', 'PBS prune keeps by counts only (last, hourly, daily, weekly, monthly, yearly)');
  }
  if ((policy.keepTags ?? []).length > 0) {
    throw new UnsupportedByEngineError(ENGINE, 'keep snapshots by tag (keepTags)', 'PBS snapshots have no tags; protect a snapshot on the PBS server instead');
  }
  const args: string[] = [];
  for (const [key, flag] of POLICY_FLAGS) {
    const v = policy[key];
    if (typeof v === 'number' && v > 0) args.push(flag, String(v));
  }
  if (args.length === 0) throw new UnsupportedByEngineError(ENGINE, 'prune with a policy that keeps nothing', 'set a keep-* count above 0');
  return args;
}

/** `prune host/<id> --keep-… [--dry-run] --output-format json`. */
export function pruneArgs(repo: Pick<RepositoryAccess, 'pbs'>, group: string, policy: RetentionPolicy, dryRun: boolean): string[] {
  return ['prune', group, ...policyArgs(policy), ...nsArgs(repo), ...(dryRun ? ['--dry-run'] : []), '--output-format', 'json'];
}
