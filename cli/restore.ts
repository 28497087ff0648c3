// `backstop snapshots restore`: a snapshot back onto an agent (a new directory by default).
import { type Command, Option } from 'commander';
import type { components } from '../contract/generated/api-schema';
import { collect, covers, defined, followStartedRun, type CliContext } from './command-kit';

type RestoreRequest = components['schemas']['RestoreRequest'];

export const OVERWRITE = ['never', 'if-newer', 'always'] as const;
export const VIA = ['agent', 'server'] as const;

export interface RestoreOptions {
  agent?: string;
  target?: string;
  include?: string[];
  overwrite?: (typeof OVERWRITE)[number];
  verify: boolean;
  postHook?: string;
  via?: (typeof VIA)[number];
  wait?: boolean;
}

export function restoreRequest(o: RestoreOptions): RestoreRequest {
  return defined({
    agent: o.agent,
    target: o.target,
    include: o.include?.length ? o.include : undefined,
    overwrite: o.overwrite,
    verify: o.verify ? undefined : false,
    postHook: o.postHook,
    via: o.via,
  });
}

export function registerRestore(snapshots: Command, ctx: CliContext): void {
  covers(
    snapshots
      .command('restore')
      .description("restore a snapshot (default: a new directory on its agent); may wait for an approver")
      .argument('<id>', 'snapshot id (or a unique prefix)')
      .option('--agent <name>', 'restore on this agent (default: the one it came from)')
      .option('--target <dir>', 'restore into this directory')
      .option('--include <path>', 'restore only this path (repeatable)', collect)
      .addOption(new Option('--overwrite <policy>', 'what to do with files already at the target').choices(OVERWRITE))
      .option('--no-verify', 'skip comparing the restored files with the snapshot')
      .option('--post-hook <command>', 'a shell command the agent runs after the restore')
      .addOption(new Option('--via <where>', 'where the engine runs').choices(VIA))
      .option('--wait', 'follow the restore to its end and exit with its outcome')
      .action(async (id: string, o: RestoreOptions) => {
        const accepted = await ctx.api().restoreSnapshot(id, restoreRequest(o));
        await followStartedRun(ctx, accepted, { wait: o.wait, label: 'restore run' });
      }),
    'restoreSnapshot',
  );
}
