// The engines a process runs, each with its own state directory under `stateDir` (restic's
// cache, borg's base dir with its cache and security files), behind one EngineSet. Workers, the API and the sample build theirs
// here, so a new engine is added in one place.
import { join } from 'node:path';
import { EngineSet } from './engine-set';
import { Restic } from './restic/restic';
import { ProxmoxBackupClient } from './pbs/pbs';
import { Borg } from './borg/borg';
import { engineBinaries } from '../../../core/config';

export interface EngineOptions {
  /** Where engines keep caches and state (e.g. `<data>/server`, an agent's state dir). */
  stateDir: string;
  /** restic's cache directory, when it is not `<stateDir>/restic-cache`. */
  resticCacheDir?: string;
  stallTimeoutMs?: number;
  killGraceMs?: number;
}

export function createEngines(o: EngineOptions): EngineSet {
  const common = { stallTimeoutMs: o.stallTimeoutMs, killGraceMs: o.killGraceMs };
  const restic = new Restic({ cacheDir: o.resticCacheDir ?? join(o.stateDir, 'restic-cache'), ...common });
  const binaries = engineBinaries();
  const borg = new Borg({ binary: binaries.borg, baseDir: join(o.stateDir, 'borg'), ...common });
  const pbs = new ProxmoxBackupClient({ binary: binaries.pbs, ...common });
  return new EngineSet({ restic, borg, pbs }, { kind: 'restic', mounter: restic });
}
