// `backstop jobs create-guest` and `backstop snapshots guest-restore` (issue 19): a job whose
// source is a VM guest on its agent's host, and a guest snapshot's disk or whole guest back
// onto an agent. Requests are built by pure functions (tested in guest.test.ts).
import type { Command } from 'commander';
import type { components } from '../contract/generated/api-schema';
import { collect, covers, defined, followStartedRun, positiveInt, show, type CliContext } from './command-kit';
import { UsageError } from './exit-codes';

type JobCreate = components['schemas']['JobCreate'];
type GuestRestoreRequest = components['schemas']['GuestRestoreRequest'];

export interface GuestJobOptions {
  agent: string;
  repository: number;
  qmpSocket: string;
  disk: string[];
  configFile?: string[];
  segmentBytes?: number;
  postHook?: string;
}

/** `--disk scsi0=drive-scsi0`: the disk's name in the backup, then QEMU's block node. */
export function parseDisk(spec: string): { name: string; node: string } {
  const eq = spec.indexOf('=');
  if (eq <= 0 || eq === spec.length - 1) throw new UsageError(`--disk ${spec}: give NAME=NODE (the disk's name in the backup, QEMU's block node), e.g. scsi0=drive-scsi0`);
  return { name: spec.slice(0, eq), node: spec.slice(eq + 1) };
}

export function guestJobRequest(name: string, o: GuestJobOptions): JobCreate {
  return defined({
    name,
    agent: o.agent,
    repositoryId: o.repository,
    kind: 'guest' as const,
    guest: defined({ qmpSocket: o.qmpSocket, disks: o.disk.map(parseDisk), configFiles: o.configFile, segmentBytes: o.segmentBytes }),
    postHook: o.postHook,
  });
}

export interface GuestRestoreOptions {
  target: string;
  disk?: string;
  agent?: string;
  requireApproval?: boolean;
  wait?: boolean;
}

export function guestRestoreRequest(o: GuestRestoreOptions): GuestRestoreRequest {
  return defined({ target: o.target, disk: o.disk, agent: o.agent, requireApproval: o.requireApproval ? true : undefined });
}

export function registerGuestJobCommands(jobs: Command, ctx: CliContext): void {
  covers(
    jobs
      .command('create-guest')
      .description("define a backup job of a VM guest on the agent's host (its disks through QEMU's QMP socket)")
      .argument('<name>', 'job name')
      .requiredOption('--agent <name>', 'the agent on the QEMU host')
      .requiredOption('--repository <id>', 'repository id (restic)', positiveInt)
      .requiredOption('--qmp-socket <path>', "the guest's QMP socket (Proxmox VE: /var/run/qemu-server/<vmid>.qmp)")
      .requiredOption('--disk <name=node>', "a disk: its name in the backup and QEMU's block node (repeat for more)", collect)
      .option('--config-file <path>', "a configuration file stored beside the disks (repeatable)", collect)
      .option('--segment-bytes <n>', 'segment size: a power of two from 65536 to 67108864 (default 4 MiB)', positiveInt)
      .option('--post-hook <command>', 'a shell command the agent runs after the backup')
      .action(async (name: string, o: GuestJobOptions) => {
        const job = await ctx.api().createJob(guestJobRequest(name, o));
        show(ctx, job, (j) => [`job ${j.id} ${j.name}: guest ${j.guest?.disks.map((d) => d.name).join(' ')} on ${j.agent} → repository ${j.repositoryId}`]);
      }),
    'createJob',
  );
}

export function registerGuestRestore(snapshots: Command, ctx: CliContext): void {
  covers(
    snapshots
      .command('guest-restore')
      .description("restore a guest snapshot: one disk into an image file or over a block device (waits for an approver), or the whole guest into a new directory")
      .argument('<id>', 'snapshot id (or a unique prefix)')
      .requiredOption('--target <path>', 'image file or block device (with --disk), else a new directory')
      .option('--disk <name>', 'restore only this disk')
      .option('--agent <name>', 'restore on this agent (default: the one it came from)')
      .option('--require-approval', 'wait for an approver even where the server would not')
      .option('--wait', 'follow the restore to its end and exit with its outcome')
      .action(async (id: string, o: GuestRestoreOptions) => {
        const accepted = await ctx.api().restoreGuestSnapshot(id, guestRestoreRequest(o));
        await followStartedRun(ctx, accepted, { wait: o.wait, label: 'guest restore run' });
      }),
    'restoreGuestSnapshot',
  );
}
