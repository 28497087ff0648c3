// `backstop jobs create-container` and `backstop snapshots container-restore` (issue 19 item
// 3): a job whose source is a system container on its agent, and a container snapshot's root
// filesystem (as a tree or a tar) with its configuration back onto an agent. Requests are
// built by pure functions (tested in container.test.ts).
import type { Command } from 'commander';
import type { components } from '../contract/generated/api-schema';
import { covers, defined, followStartedRun, positiveInt, show, type CliContext } from './command-kit';
import { UsageError } from './exit-codes';

type JobCreate = components['schemas']['JobCreate'];
type ContainerRestoreRequest = components['schemas']['ContainerRestoreRequest'];
type SnapshotMode = components['schemas']['SnapshotMode'];

export interface ContainerJobOptions {
  agent: string;
  repository: number;
  runtime: string;
  rootfs?: string;
  config?: string;
  snapshotMode?: string;
  postHook?: string;
  containerName?: string;
}

const RUNTIMES = ['lxc', 'directory'] as const;
const FORMATS = ['directory', 'tar'] as const;

export function containerJobRequest(name: string, o: ContainerJobOptions): JobCreate {
  const runtime = RUNTIMES.find((r) => r === o.runtime);
  if (!runtime) throw new UsageError(`--runtime ${o.runtime}: give lxc or directory`);
  return defined({
    name,
    agent: o.agent,
    repositoryId: o.repository,
    kind: 'container' as const,
    container: defined({ runtime, name: o.containerName ?? name, rootfs: o.rootfs, config: o.config }),
    snapshotMode: o.snapshotMode as SnapshotMode | undefined,
    postHook: o.postHook,
  });
}

export interface ContainerRestoreOptions {
  target: string;
  format: string;
  agent?: string;
  wait?: boolean;
}

export function containerRestoreRequest(o: ContainerRestoreOptions): ContainerRestoreRequest {
  const format = FORMATS.find((f) => f === o.format);
  if (!format) throw new UsageError(`--format ${o.format}: give directory or tar`);
  return defined({ target: o.target, format, agent: o.agent });
}

export function registerContainerJobCommands(jobs: Command, ctx: CliContext): void {
  covers(
    jobs
      .command('create-container')
      .description('define a backup job of a system container on the agent: its root filesystem and configuration')
      .argument('<name>', 'job name')
      .requiredOption('--agent <name>', 'the agent the container runs on')
      .requiredOption('--repository <id>', 'repository id (restic)', positiveInt)
      .requiredOption('--runtime <lxc|directory>', 'lxc: found under /var/lib/lxc at each run; directory: --rootfs (and --config) as given')
      .option('--container-name <name>', "the container's name (default: the job name)")
      .option('--rootfs <path>', 'the root filesystem directory (directory runtime)')
      .option('--config <path>', 'the configuration file (directory runtime, optional)')
      .option('--snapshot-mode <mode>', 'none, auto, btrfs, lvm or zfs: a running LXC container is frozen while it is taken')
      .option('--post-hook <command>', 'a shell command the agent runs after the backup')
      .action(async (name: string, o: ContainerJobOptions) => {
        const job = await ctx.api().createJob(containerJobRequest(name, o));
        show(ctx, job, (j) => [`job ${j.id} ${j.name}: ${j.container?.runtime} container ${j.container?.name} on ${j.agent} → repository ${j.repositoryId}`]);
      }),
    'createJob',
  );
}

export function registerContainerRestore(snapshots: Command, ctx: CliContext): void {
  covers(
    snapshots
      .command('container-restore')
      .description('restore a container snapshot into a new directory: its root filesystem as a tree (rootfs/) or a tar (rootfs.tar), its configuration under config/')
      .argument('<id>', 'snapshot id (or a unique prefix)')
      .requiredOption('--target <path>', "a new directory inside the agent's restore roots")
      .requiredOption('--format <directory|tar>', 'the root filesystem as a directory tree or as one tar file')
      .option('--agent <name>', 'restore on this agent (default: the one it came from)')
      .option('--wait', 'follow the restore to its end and exit with its outcome')
      .action(async (id: string, o: ContainerRestoreOptions) => {
        const accepted = await ctx.api().restoreContainerSnapshot(id, containerRestoreRequest(o));
        await followStartedRun(ctx, accepted, { wait: o.wait, label: 'container restore run' });
      }),
    'restoreContainerSnapshot',
  );
}
