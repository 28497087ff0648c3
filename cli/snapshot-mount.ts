// `backstop snapshots mount|mount-status|unmount`: a snapshot's tree on the server worker's host.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { ApiClient } from '../core/api-client';
import type { components } from '../contract/generated/api-schema';
import { parseDuration } from '../core/bootstrap-token';
import { covers, show, type CliContext } from './command-kit';
import { EXIT } from './exit-codes';

type SnapshotMount = components['schemas']['SnapshotMount'];

/** Longest a single GET waits; --wait asks again until the mount is up or has ended. */
const WAIT_STEP_SECONDS = 60;

/** `--ttl 45m` → seconds; the same durations as `agent-tokens create --expires-in`. */
export function ttlSeconds(value: string): number {
  try {
    return parseDuration(value) / 1000;
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}.`);
  }
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

export function registerSnapshotMount(snapshots: Command, ctx: CliContext): void {
  const report = (m: SnapshotMount, ok: boolean) => {
    show(ctx, m, (x) => [describeMount(x)]);
    if (!ok) ctx.setExitCode(EXIT.runFailed);
  };
  covers(
    snapshots
      .command('mount')
      .description("mount a snapshot read-only on the server worker's host (until unmounted, or idle for --ttl)")
      .argument('<id>', 'snapshot id')
      .option('--ttl <duration>', 'unmount after this long unused (30m, 2h)', ttlSeconds)
      .option('--wait', 'wait until the mount is up')
      .action(async (id: string, o: { ttl?: number; wait?: boolean }) => {
        let m = await ctx.api().mountSnapshot(id, o.ttl === undefined ? {} : { ttlSeconds: o.ttl });
        if (o.wait) m = await waitUp(ctx.api(), id, m);
        report(m, m.state !== 'ended');
      }),
    'mountSnapshot',
  );
  covers(
    snapshots
      .command('mount-status')
      .description('where the mount is, its state and expiry (counts as use)')
      .argument('<id>', 'snapshot id')
      .option('--wait', 'wait until the mount is up')
      .action(async (id: string, o: { wait?: boolean }) => {
        let m = await ctx.api().snapshotMount(id);
        if (o.wait) m = await waitUp(ctx.api(), id, m);
        report(m, m.state !== 'ended');
      }),
    'getSnapshotMount',
  );
  covers(
    snapshots
      .command('unmount')
      .description('unmount it')
      .argument('<id>', 'snapshot id')
      .action(async (id: string) => {
        const m = await ctx.api().unmountSnapshot(id);
        report(m, m.state === 'ended' && m.endReason !== 'failed');
      }),
    'unmountSnapshot',
  );
}
