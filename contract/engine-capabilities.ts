// What each engine can do, in one table: the API refuses a request an engine cannot serve
// before any workflow starts (400, naming the engine and the reason), and the README's
// engine table says the same. The engines themselves still refuse at run time
// (UnsupportedByEngineError), for requests that reach them another way. No Node imports.
import { UnsupportedByEngineError } from './errors';
import type { EngineKind } from './engine';
import type { RetentionPolicy } from './retention';

export const ENGINE_OPERATIONS = ['push', 'pull', 'stdin', 'restore', 'browse', 'mount', 'prune', 'check', 's3Sync', 'drill'] as const;
export type EngineOperation = (typeof ENGINE_OPERATIONS)[number];

/** `true`, or why not (read by operators: say what to do instead). */
type Capability = true | string;

export const ENGINE_CAPABILITIES: Record<EngineKind, Record<EngineOperation, Capability>> = {
  restic: {
    push: true,
    pull: true,
    stdin: true,
    restore: true,
    browse: true,
    mount: true,
    prune: true,
    check: true,
    s3Sync: true,
    drill: true,
  },
  borg: {
    push: true,
    pull: true,
    stdin: true,
    restore: true,
    browse: true,
    mount: 'Backstop mounts restic repositories only; browse the snapshot or restore it instead',
    prune: true,
    check: true,
    s3Sync: true,
    drill: true,
  },
  pbs: {
    push: 'PBS jobs run proxmox-backup-client on the server worker against the agent\'s export, as PBS Plus does: use mode "pull"',
    pull: true,
    stdin: 'database and pipe streams need push mode, which PBS jobs do not use',
    restore: true,
    browse: true,
    mount: 'Backstop mounts restic repositories only; browse the snapshot or restore it instead',
    prune: true,
    check: 'proxmox-backup-client has no client-side check: schedule a verify job on the PBS datastore',
    s3Sync: 'a PBS datastore lives on its server: use PBS sync jobs or its S3 datastore backend',
    drill: 'a drill starts with the engine\'s own check, which proxmox-backup-client does not have: schedule a verify job on the PBS datastore and restore a sample by hand',
  },
};

const OPERATION_WORDS: Record<EngineOperation, string> = {
  push: 'back up in push mode',
  pull: 'back up in pull mode',
  stdin: 'store database or pipe streams',
  restore: 'restore',
  browse: 'be browsed',
  mount: 'be mounted',
  prune: 'be pruned',
  check: 'be checked',
  s3Sync: 'be synced to S3',
  drill: 'be drilled',
};

/** Refuses `op` on an engine that cannot do it, saying why. */
export function requireCapability(engine: EngineKind, op: EngineOperation, extra?: { appendOnly?: boolean; local?: boolean }): void {
  const c = ENGINE_CAPABILITIES[engine][op];
  if (c !== true) throw new UnsupportedByEngineError(engine, OPERATION_WORDS[op], c);
  if (op === 'prune' && extra?.appendOnly) {
    throw new UnsupportedByEngineError(engine, 'be pruned when served append-only', 'borg would only hide the archives until the server\'s admin rolls back; prune on the repository host or with a full-access key');
  }
  if (op === 's3Sync' && extra?.local === false) {
    throw new UnsupportedByEngineError(engine, 'be synced to S3 from a remote location', 'the S3 sync copies a repository directory on the server; sync it from the host that holds it');
  }
}

/**
 * Refuses a retention policy the engine cannot apply as written: borg and PBS have no tags;
 * borg's --keep-within takes one unit; PBS has no keep-within.
 */
export function checkRetentionForEngine(engine: EngineKind, policy: RetentionPolicy): void {
  if (engine === 'restic') return;
  if ((policy.keepTags ?? []).length > 0) throw new UnsupportedByEngineError(engine, 'keep snapshots by tag (keepTags)', `${engine} snapshots carry no tags; use keep-* counts or keepWithin`);
  if (policy.keepWithin === undefined) return;
  if (engine === 'pbs') throw new UnsupportedByEngineError(engine, 'keep snapshots within a duration (keepWithin)', 'PBS prunes by counts only (keep-last, -hourly, -daily, -weekly, -monthly, -yearly)');
  const units = policy.keepWithin.match(/\d+[ymdh]/g) ?? [];
  if (units.length !== 1) throw new UnsupportedByEngineError(engine, `keep within ${policy.keepWithin}`, 'borg --keep-within takes one number and unit (e.g. 30d or 12h)');
}

/**
 * A push job runs its engine on the agent: an agent that reported its engines without this
 * one cannot run it (an agent that reported nothing yet is given the benefit of the doubt).
 */
export function checkAgentHasEngine(engine: EngineKind, mode: 'push' | 'pull', agent: { name: string; capabilities: { engines: Array<{ name: string }> } | null }): void {
  if (mode !== 'push' || !agent.capabilities) return;
  if (agent.capabilities.engines.some((e) => e.name === engine)) return;
  throw new UnsupportedByEngineError(engine, `back up agent "${agent.name}" in push mode`, `the agent reports no ${engine} binary (install it there, or use mode "pull")`);
}

/** A job's mode, retention and streams against what its repository's engine can do. */
export function checkJobForEngine(engine: EngineKind, job: { mode: 'push' | 'pull'; retention?: RetentionPolicy | null; pluginCount?: number }): void {
  requireCapability(engine, job.mode);
  if (job.retention) checkRetentionForEngine(engine, job.retention);
  if ((job.pluginCount ?? 0) > 0) requireCapability(engine, 'stdin');
}
