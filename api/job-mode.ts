// What a pull job may not have (issue 13). In pull mode the agent only exports a read-only
// view of the job's paths and the server worker runs the engine against it, so the
// repository password never reaches the agent. Two things would undo that or cannot work:
// - `/` itself: the server worker shows the export at the job's original paths inside its
//   own mount namespace, and needs its own root there to run the engine at all;
// - plugin configurations: their dumps and streams are stored by the engine on the agent,
//   which would need the password.
// Pure: the routes call these with what they are about to store.
import { posix } from 'node:path';
import { InputError } from '../contract/errors';
import type { JobMode } from '../contract/model';
import type { JobKind } from '../contract/guest';

/** Refuses `/` (also spelled `//`, `/.`, `/..`) among a pull job's paths. */
export function checkJobModePaths(mode: JobMode, paths: readonly string[]): void {
  if (mode !== 'pull') return;
  if (paths.some((p) => posix.normalize(p) === '/')) {
    throw new InputError('a pull job cannot back up / itself: the server worker mounts the export at the original paths and needs its own root for the engine; list the top-level directories instead');
  }
}

/** Refuses plugin configurations on a pull job, and on a guest job (its workflow runs no plugins). */
export function checkJobModePlugins(job: { id: number; mode: JobMode; kind?: JobKind }, configIds: readonly number[]): void {
  if (configIds.length === 0) return;
  if (job.kind === 'guest') throw new InputError(`job ${job.id} is a guest job and takes no plugin configurations: it stores the guest's disks and configuration files only`);
  if (job.mode !== 'pull') return;
  throw new InputError(`job ${job.id} is a pull job and takes no plugin configurations: their dumps and streams are stored by the engine on the agent, which would need the repository password`);
}
