// `backstop snapshots guest-export|guest-export-status|guest-export-release` (issue 19): a
// guest snapshot's disk restored into a new image on its agent and served there over NBD until
// released. Requests and the one-line description are pure functions (guest-nbd-export.test.ts).
import type { Command } from 'commander';
import type { ApiClient } from '../core/api-client';
import type { components } from '../contract/generated/api-schema';
import { covers, defined, show, type CliContext } from './command-kit';
import { EXIT } from './exit-codes';
import { ttlSeconds } from './snapshot-mount';

type GuestDiskExport = components['schemas']['GuestDiskExport'];
type GuestDiskExportRequest = components['schemas']['GuestDiskExportRequest'];

/** Longest a single GET waits; --wait asks again until the export is up or has ended. */
const WAIT_STEP_SECONDS = 60;

export interface GuestExportOptions {
  disk: string;
  target: string;
  writable?: boolean;
  ttl?: number;
  agent?: string;
  wait?: boolean;
}

export function guestExportRequest(o: GuestExportOptions): GuestDiskExportRequest {
  return defined({ target: o.target, writable: o.writable ? true : undefined, ttlSeconds: o.ttl, agent: o.agent });
}

export function describeExport(e: GuestDiskExport): string {
  const mode = e.writable ? 'writable' : 'read-only';
  const where = e.nbdUri ? ` at ${e.nbdUri}` : '';
  const why = e.state === 'ended' ? ` (${e.endReason ?? 'ended'}${e.failureReason ? `: ${e.failureReason}` : ''})` : e.expiresAt ? ` expires ${e.expiresAt}` : '';
  return `export ${e.exportId} of disk ${e.disk} (${e.target}, ${mode}): ${e.state}${where}${why}`;
}

async function waitUp(api: ApiClient, snapshot: string, e: GuestDiskExport): Promise<GuestDiskExport> {
  let now = e;
  while (now.state === 'starting' || now.state === 'restoring') now = await api.guestDiskExport(snapshot, now.disk, now.exportId, WAIT_STEP_SECONDS);
  return now;
}

export function registerGuestExport(snapshots: Command, ctx: CliContext): void {
  const report = (e: GuestDiskExport, ok: boolean) => {
    show(ctx, e, (x) => [describeExport(x)]);
    if (!ok) ctx.setExitCode(EXIT.runFailed);
  };
  covers(
    snapshots
      .command('guest-export')
      .description("restore a guest snapshot's disk into a new image file on its agent and serve it there over NBD (read-only unless --writable) until released")
      .argument('<snapshot>', 'snapshot id (or a unique prefix)')
      .requiredOption('--disk <name>', 'the disk to export')
      .requiredOption('--target <file>', "the new image file, inside the agent's restore roots (kept after release)")
      .option('--writable', "let NBD clients write (into the image)")
      .option('--ttl <duration>', 'release it this long after it is up (30m, 2h); default: until released', ttlSeconds)
      .option('--agent <name>', 'restore and serve on this agent (default: the one it came from)')
      .option('--wait', 'wait until the disk is exported (or the export ended)')
      .action(async (snapshot: string, o: GuestExportOptions) => {
        let e = await ctx.api().exportGuestDisk(snapshot, o.disk, guestExportRequest(o));
        if (o.wait) e = await waitUp(ctx.api(), snapshot, e);
        report(e, e.state !== 'ended');
      }),
    'exportGuestDisk',
  );
  covers(
    snapshots
      .command('guest-export-status')
      .description("an NBD export's state, its URI while exported, and how it ended")
      .argument('<snapshot>', 'snapshot id')
      .argument('<export>', 'export id (its run id)')
      .requiredOption('--disk <name>', 'the exported disk')
      .option('--wait', 'wait until the disk is exported (or the export ended)')
      .action(async (snapshot: string, exportId: string, o: { disk: string; wait?: boolean }) => {
        let e = await ctx.api().guestDiskExport(snapshot, o.disk, exportId);
        if (o.wait) e = await waitUp(ctx.api(), snapshot, e);
        report(e, e.state !== 'ended' || e.endReason === 'released' || e.endReason === 'expired');
      }),
    'getGuestDiskExport',
  );
  covers(
    snapshots
      .command('guest-export-release')
      .description('stop serving it: the daemon and its socket go, the image stays')
      .argument('<snapshot>', 'snapshot id')
      .argument('<export>', 'export id (its run id)')
      .requiredOption('--disk <name>', 'the exported disk')
      .action(async (snapshot: string, exportId: string, o: { disk: string }) => {
        const e = await ctx.api().releaseGuestDiskExport(snapshot, o.disk, exportId);
        report(e, e.state === 'ended' && e.endReason !== 'failed');
      }),
    'releaseGuestDiskExport',
  );
}
