// What a drill's integrity step asks of the engine, as the evidence names it: the command
// the engine runs, without the repository or any secret.
import type { CheckDataRead, EngineKind } from '../../../contract/engine';
import { checkArgs as resticCheckArgs } from '../engines/restic/args';

/** `restic check --no-lock --read-data-subset=5%`, `borg check --verify-data --last 1`. */
export function drillCheckScope(engine: EngineKind, read: CheckDataRead): string {
  if (engine === 'restic') return ['restic', ...resticCheckArgs(read)].join(' ');
  if (engine === 'borg') return `borg check --verify-data --last ${Math.max(1, Math.floor(read.lastArchives))}`;
  return `${engine} check`;
}

/** The data read a drill's check does for these settings (restic beside backups: see CheckDataRead). */
export function drillDataRead(engine: EngineKind, settings: { readDataPercent: number; verifyArchives: number }): CheckDataRead {
  return { readDataPercent: settings.readDataPercent, lastArchives: settings.verifyArchives, besideBackups: engine === 'restic' };
}
