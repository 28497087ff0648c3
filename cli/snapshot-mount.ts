// `backstop snapshots mount|mount-status|unmount`: a snapshot's tree on the server worker's host.
import type { ApiClient } from '../core/api-client';
import type { components } from '../contract/generated/api-schema';
import { parseDuration } from '../core/bootstrap-token';
import { flag } from './args';

type SnapshotMount = components['schemas']['SnapshotMount'];

export const MOUNT_USAGE = `  snapshots mount <id> [--ttl 30m] [--wait]  mount a snapshot read-only on the server worker's host
                                             (until unmounted, or idle for --ttl; --wait: until it is up)
  snapshots mount-status <id> [--wait]       where the mount is, its state and expiry (counts as use)
  snapshots unmount <id>                     unmount it`;

/** Longest a single GET waits; --wait asks again until the mount is up or has ended. */
const WAIT_STEP_SECONDS = 60;

export function mountRequest(args: string[]): { ttlSeconds?: number } {
  const ttl = flag(args, '--ttl');
  // The same durations as `agents token --ttl` (30m, 2h, 1d).
  return ttl === undefined ? {} : { ttlSeconds: parseDuration(ttl) / 1000 };
}

export function describeMount(m: SnapshotMount): string {
  const where = m.path ? `at ${m.path}` : '';
  const why = m.state === 'ended' ? ` (${m.endReason ?? 'ended'}${m.failureReason ? `: ${m.failureReason}` : ''})` : ` expires ${m.expiresAt}`;
  return `snapshot ${m.snapshotId.slice(0, 8)}: ${m.state} ${where}${why}`.replace(/\s+/g, ' ').trim();
}

async function waitUp(api: ApiClient, id: string, m: SnapshotMount): Promise<SnapshotMount> {
  let now = m;
  while (now.state === 'starting') now = await api.snapshotMount(id, WAIT_STEP_SECONDS);
  return now;
}

export async function snapshotMountCommand(api: ApiClient, sub: string, args: string[]): Promise<number> {
  const id = args[0];
  if (!id || id.startsWith('--')) throw new Error(`snapshots ${sub} needs a snapshot id`);
  let m: SnapshotMount;
  if (sub === 'mount') {
    m = await api.mountSnapshot(id, mountRequest(args.slice(1)));
    if (args.includes('--wait')) m = await waitUp(api, id, m);
  } else if (sub === 'mount-status') {
    m = await api.snapshotMount(id);
    if (args.includes('--wait')) m = await waitUp(api, id, m);
  } else {
    m = await api.unmountSnapshot(id);
  }
  console.log(describeMount(m));
  if (sub === 'unmount') return m.state === 'ended' && m.endReason !== 'failed' ? 0 : 1;
  return m.state === 'ended' ? 1 : 0;
}
