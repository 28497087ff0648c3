// `backstop repos prune` and `backstop jobs retention-preview`.
import type { ApiClient, ApiRun } from '../core/api-client';
import { positiveInt } from './args';

export const RETENTION_USAGE = `  repos prune <id> [--wait]   apply retention policies and prune repository <id>
  jobs retention-preview <id> which snapshots job <id>'s retention policy keeps and removes`;


export async function runPrune(api: ApiClient, args: string[], print: (r: ApiRun) => void): Promise<number> {
  const accepted = await api.pruneRepository(positiveInt(args[0], 'repository id'));
  console.log(`prune run ${accepted.runId} started (workflow ${accepted.workflowId})`);
  if (!args.includes('--wait')) return 0;
  const run = await api.waitForRun(accepted.runId);
  print(run);
  return run.status === 'succeeded' || run.status === 'warning' ? 0 : 1;
}

export async function retentionPreview(api: ApiClient, args: string[]): Promise<number> {
  const preview = await api.previewRetention(positiveInt(args[0], 'job id'));
  console.log(`policy: ${JSON.stringify(preview.policy)}`);
  const rows = [
    ...preview.keep.map((s) => ({ action: 'keep', id: s.snapshotId.slice(0, 8), time: s.time, host: s.hostname, why: s.reasons.join(', ') })),
    ...preview.remove.map((s) => ({ action: 'remove', id: s.snapshotId.slice(0, 8), time: s.time, host: s.hostname, why: '' })),
  ].sort((a, b) => b.time.localeCompare(a.time));
  console.table(rows);
  return 0;
}
