// The interface every backup engine implements (restic first; borg and
// proxmox-backup-client later). Activities depend on this, not on restic.
import type { BackupProgress, BackupStats } from '../../core/model';

export interface RepositoryAccess {
  /** Engine-specific location (restic: a path or an s3: URL). */
  url: string;
  password: string;
  /** Extra environment for the backend (S3 credentials); never logged. */
  env?: Record<string, string>;
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
}

export interface BackupEngine {
  init(repo: RepositoryAccess): Promise<void>;
  /** Fails with a typed error when the repository is missing or the password is wrong. */
  verifyAccess(repo: RepositoryAccess): Promise<void>;
  findSnapshotsByTag(repo: RepositoryAccess, tag: string): Promise<EngineSnapshot[]>;
  /** Removes locks whose owner is gone; never a lock held by a live process. */
  unlockStale(repo: RepositoryAccess): Promise<void>;
  backup(repo: RepositoryAccess, req: BackupRequest, control: RunControl): Promise<Omit<BackupOutcome, 'adopted'>>;
  restore(repo: RepositoryAccess, snapshotId: string, target: string, control: RunControl): Promise<void>;
  check(repo: RepositoryAccess): Promise<void>;
}
