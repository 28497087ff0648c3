// `backstop repos check`: start a check run of a repository (restic check, borg check).
import type { ApiClient, ApiRun } from '../core/api-client';
import { positiveInt } from './args';

export const CHECK_USAGE = `  repos check <id> [--wait]   check repository <id> for missing or damaged data (restic
                              check, borg check); --wait exits 1 if the check fails`;

export async function runCheck(api: Pick<ApiClient, 'checkRepository' | 'waitForRun'>, args: string[], print: (r: ApiRun) => void): Promise<number> {
  const accepted = await api.checkRepository(positiveInt(args[0], 'repository id'));
  console.log(`check run ${accepted.runId} started (workflow ${accepted.workflowId})`);
  if (!args.includes('--wait')) return 0;
  const run = await api.waitForRun(accepted.runId);
  print(run);
  return run.status === 'succeeded' || run.status === 'warning' ? 0 : 1;
}
