// The one BackupEngine every activity holds: it hands each call to the engine the
// repository names (restic, borg, pbs). Activities stay engine-blind; an engine that is
// not there, or an operation it cannot do, fails with a typed error that names both.
import { UnsupportedByEngineError } from '../../../contract/errors';
import { engineOf } from '../../../contract/engine';
import type { BackupEngine, EngineKind, RepositoryAccess, RunControl, SnapshotMounter } from '../../../contract/engine';

export type EngineTable = Partial<Record<EngineKind, BackupEngine>>;

export class EngineSet implements BackupEngine, SnapshotMounter {
  constructor(
    private readonly engines: EngineTable,
    /** The one engine that can mount snapshots (restic mount), if any, and which it is. */
    private readonly mounting?: { kind: EngineKind; mounter: SnapshotMounter },
  ) {}

  /** The engine for `repo`; UnsupportedByEngineError when this process has none for it. */
  for(repo: Pick<RepositoryAccess, 'engine'>): BackupEngine {
    const kind = engineOf(repo);
    const engine = this.engines[kind];
    if (!engine) throw new UnsupportedByEngineError(kind, 'be used by this process', `no ${kind} engine is configured here`);
    return engine;
  }

  init: BackupEngine['init'] = (repo) => this.for(repo).init(repo);
  verifyAccess: BackupEngine['verifyAccess'] = (repo) => this.for(repo).verifyAccess(repo);
  findSnapshotsByTag: BackupEngine['findSnapshotsByTag'] = (repo, tag) => this.for(repo).findSnapshotsByTag(repo, tag);
  unlockStale: BackupEngine['unlockStale'] = (repo) => this.for(repo).unlockStale(repo);
  backup: BackupEngine['backup'] = (repo, req, control) => this.for(repo).backup(repo, req, control);
  restore: BackupEngine['restore'] = (repo, id, target, control, options) => this.for(repo).restore(repo, id, target, control, options);
  planRestore: BackupEngine['planRestore'] = (repo, id, target, options) => this.for(repo).planRestore(repo, id, target, options);
  listDirectory: BackupEngine['listDirectory'] = (repo, id, path) => this.for(repo).listDirectory(repo, id, path);
  walkSnapshot: BackupEngine['walkSnapshot'] = (repo, id, onEntry, control) => this.for(repo).walkSnapshot(repo, id, onEntry, control);
  dumpFile: BackupEngine['dumpFile'] = (repo, id, path, out, signal) => this.for(repo).dumpFile(repo, id, path, out, signal);
  dumpArchive: BackupEngine['dumpArchive'] = (repo, id, path, out, control) => this.for(repo).dumpArchive(repo, id, path, out, control);
  check: BackupEngine['check'] = (repo, control, read) => this.for(repo).check(repo, control, read);
  forget: BackupEngine['forget'] = (repo, req, control) => this.for(repo).forget(repo, req, control);
  forgetSnapshots: BackupEngine['forgetSnapshots'] = (repo, ids) => this.for(repo).forgetSnapshots(repo, ids);
  prune: BackupEngine['prune'] = (repo, control) => this.for(repo).prune(repo, control);
  listSnapshots: BackupEngine['listSnapshots'] = (repo) => this.for(repo).listSnapshots(repo);

  mount(repo: RepositoryAccess, mountPoint: string, control: RunControl): Promise<void> {
    return this.mounterFor(repo).mount(repo, mountPoint, control);
  }

  snapshotPath(mountPoint: string, snapshotId: string): string {
    if (!this.mounting) throw new UnsupportedByEngineError('this process', 'mount snapshots', 'no engine here can');
    return this.mounting.mounter.snapshotPath(mountPoint, snapshotId);
  }

  /** Fails before anything is mounted when the repository's engine cannot mount. */
  mounterFor(repo: Pick<RepositoryAccess, 'engine'>): SnapshotMounter {
    const kind = engineOf(repo);
    if (!this.mounting || this.mounting.kind !== kind) {
      throw new UnsupportedByEngineError(kind, 'mount snapshots', 'only restic repositories can be mounted (restic mount); browse or restore instead');
    }
    return this.mounting.mounter;
  }
}
