// `backstop snapshots restore|ls` and `backstop runs approve|reject`.
import type { ApiClient, ApiRun } from '../core/api-client';
import { flag, flags } from './args';

export const RESTORE_USAGE = `  snapshots restore <id> [--agent A] [--target DIR] [--include P]... [--overwrite never|if-newer|always]
                    [--no-verify] [--post-hook CMD] [--via agent|server] [--wait]
                                             restore a snapshot (default: a new directory on its agent)
  snapshots ls <id> [path]                   list one directory of a snapshot
  runs approve <runId> [--note TEXT]         let a restore waiting for approval go ahead
  runs reject <runId> [--note TEXT]          reject a restore waiting for approval`;


/** Every value of a repeatable flag: `--include a --include b` → [a, b]. */

const OVERWRITE = ['never', 'if-newer', 'always'] as const;
const VIA = ['agent', 'server'] as const;

export function restoreRequest(args: string[]) {
  const overwrite = flag(args, '--overwrite');
  if (overwrite !== undefined && !(OVERWRITE as readonly string[]).includes(overwrite)) throw new Error(`--overwrite must be one of ${OVERWRITE.join(', ')}`);
  const via = flag(args, '--via');
  if (via !== undefined && !(VIA as readonly string[]).includes(via)) throw new Error(`--via must be one of ${VIA.join(', ')}`);
  const include = flags(args, '--include');
  return {
    ...(flag(args, '--agent') ? { agent: flag(args, '--agent') } : {}),
    ...(flag(args, '--target') ? { target: flag(args, '--target') } : {}),
    ...(include.length ? { include } : {}),
    ...(overwrite ? { overwrite: overwrite as (typeof OVERWRITE)[number] } : {}),
    ...(args.includes('--no-verify') ? { verify: false } : {}),
    ...(flag(args, '--post-hook') ? { postHook: flag(args, '--post-hook') } : {}),
    ...(via ? { via: via as (typeof VIA)[number] } : {}),
  };
}

export async function restoreSnapshot(api: ApiClient, args: string[], print: (r: ApiRun) => void): Promise<number> {
  const id = args[0];
  if (!id || id.startsWith('--')) throw new Error('snapshots restore needs a snapshot id');
  const accepted = await api.restoreSnapshot(id, restoreRequest(args.slice(1)));
  console.log(`restore run ${accepted.runId} started (workflow ${accepted.workflowId})`);
  if (!args.includes('--wait')) return 0;
  let announced = false;
  const run = await api.waitForRun(accepted.runId, {
    onUpdate: (r) => {
      if (r.status === 'awaiting-approval' && !announced) {
        announced = true;
        console.log(`waiting for approval: backstop runs approve ${r.id}`);
      }
    },
  });
  print(run);
  return run.status === 'succeeded' || run.status === 'warning' ? 0 : 1;
}

export async function decideRun(api: ApiClient, decision: 'approve' | 'reject', args: string[]): Promise<number> {
  const runId = args[0];
  if (!runId || runId.startsWith('--')) throw new Error(`runs ${decision} needs a run id`);
  const note = flag(args, '--note');
  const r = decision === 'approve' ? await api.approveRun(runId, note) : await api.rejectRun(runId, note);
  console.log(`run ${r.runId} ${r.decision} by ${r.by}`);
  return 0;
}

export async function listSnapshotDir(api: ApiClient, args: string[]): Promise<number> {
  const id = args[0];
  if (!id) throw new Error('snapshots ls needs a snapshot id');
  let cursor: string | undefined;
  do {
    const page = await api.snapshotTree(id, { path: args[1] ?? '/', limit: 1000, cursor });
    for (const e of page.entries) console.log(`${e.permissions.padEnd(11)} ${String(e.size ?? '').padStart(12)} ${e.mtime ?? ''.padEnd(30)}  ${e.name}${e.type === 'dir' ? '/' : ''}`);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return 0;
}
