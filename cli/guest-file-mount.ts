// `backstop snapshots guest-mount|guest-mount-status|guest-unmount` (issue 19, item 2): the
// filesystems of one disk of a guest snapshot, mounted read-only on the server worker's host.
import type { Command } from 'commander';
import type { ApiClient } from '../core/api-client';
import type { components } from '../contract/generated/api-schema';
import { covers, show, type CliContext } from './command-kit';
import { EXIT } from './exit-codes';
import { ttlSeconds } from './snapshot-mount';

type GuestDiskMount = components['schemas']['GuestDiskMount'];

/** Longest a single GET waits; --wait asks again until the mount is up or has ended. */
const WAIT_STEP_SECONDS = 60;

/** One line for the mount, then one per filesystem: `p1 ext4 /var/lib/…/p1`. */
export function describeGuestMount(m: GuestDiskMount): string[] {
  const why = m.state === 'ended' ? ` (${m.endReason ?? 'ended'}${m.failureReason ? `: ${m.failureReason}` : ''})` : ` expires ${m.expiresAt}`;
  const head = `snapshot ${m.snapshotId.slice(0, 8)} disk ${m.disk}: ${m.state}${why}`;
  return [head, ...m.filesystems.map((f) => `  ${f.name} ${f.fsType} ${f.path}`)];
}

async function waitUp(api: ApiClient, id: string, disk: string, m: GuestDiskMount): Promise<GuestDiskMount> {
  let now = m;
  while (now.state === 'starting') now = await api.guestDiskMount(id, disk, WAIT_STEP_SECONDS);
  return now;
}

export function registerGuestFileMount(snapshots: Command, ctx: CliContext): void {
  const report = (m: GuestDiskMount, ok: boolean) => {
    show(ctx, m, describeGuestMount);
    if (!ok) ctx.setExitCode(EXIT.runFailed);
  };
  covers(
    snapshots
      .command('guest-mount')
      .description("mount a guest snapshot's disk read-only on the server worker's host, each filesystem on it (until unmounted, or idle for --ttl)")
      .argument('<id>', 'snapshot id (or a unique prefix)')
      .requiredOption('--disk <name>', "the disk (its name in the guest job, scsi0)")
      .option('--ttl <duration>', 'unmount after this long unused (30m, 2h)', ttlSeconds)
      .option('--wait', 'wait until the filesystems are mounted (the disk is restored first)')
      .action(async (id: string, o: { disk: string; ttl?: number; wait?: boolean }) => {
        let m = await ctx.api().mountGuestDisk(id, o.disk, o.ttl === undefined ? {} : { ttlSeconds: o.ttl });
        if (o.wait) m = await waitUp(ctx.api(), id, o.disk, m);
        report(m, m.state !== 'ended');
      }),
    'mountGuestDisk',
  );
  covers(
    snapshots
      .command('guest-mount-status')
      .description("where the disk's filesystems are mounted, its state and expiry (counts as use)")
      .argument('<id>', 'snapshot id (or a unique prefix)')
      .requiredOption('--disk <name>', 'the disk')
      .option('--wait', 'wait until the filesystems are mounted')
      .action(async (id: string, o: { disk: string; wait?: boolean }) => {
        let m = await ctx.api().guestDiskMount(id, o.disk);
        if (o.wait) m = await waitUp(ctx.api(), id, o.disk, m);
        report(m, m.state !== 'ended');
      }),
    'getGuestDiskMount',
  );
  covers(
    snapshots
      .command('guest-unmount')
      .description("unmount the disk's filesystems and delete its scratch image")
      .argument('<id>', 'snapshot id (or a unique prefix)')
      .requiredOption('--disk <name>', 'the disk')
      .action(async (id: string, o: { disk: string }) => {
        const m = await ctx.api().unmountGuestDisk(id, o.disk);
        report(m, m.state === 'ended' && m.endReason !== 'failed');
      }),
    'unmountGuestDisk',
  );
}
