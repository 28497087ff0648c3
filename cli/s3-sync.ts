// `backstop repos sync` and `backstop repos s3-sync-set`. Keys come from the environment
// (BACKSTOP_S3_ACCESS_KEY_ID / BACKSTOP_S3_SECRET_ACCESS_KEY), never from argv, where
// `ps` and shell history would keep them.
import type { ApiClient, ApiRun } from '../core/api-client';
import { flag } from './args';
import type { BackstopConfig } from '../core/config';

export const S3_SYNC_USAGE = `  repos sync <id> [--wait]                   mirror repository <id> to its S3 sync target now
  repos s3-sync-set <id> --endpoint <url> --bucket <name> [--prefix <p>] [--region <r>]
                    [--bwlimit <rate>] [--transfers <n>] [--checksum]
                                             set the S3 sync target (keys from
                                             BACKSTOP_S3_ACCESS_KEY_ID / BACKSTOP_S3_SECRET_ACCESS_KEY)`;


function repositoryId(value: string | undefined): number {
  if (!value || !/^[1-9]\d*$/.test(value)) throw new Error('repository id must be a positive integer');
  return Number(value);
}

export async function setS3SyncTarget(api: ApiClient, args: string[], keys: BackstopConfig['s3Keys']): Promise<number> {
  const id = repositoryId(args[0]);
  const endpoint = flag(args, '--endpoint');
  const bucket = flag(args, '--bucket');
  if (!endpoint || !bucket) throw new Error('s3-sync-set needs --endpoint and --bucket');
  const { accessKeyId, secretAccessKey } = keys;
  if (!accessKeyId || !secretAccessKey) throw new Error('set BACKSTOP_S3_ACCESS_KEY_ID and BACKSTOP_S3_SECRET_ACCESS_KEY');
  const transfers = flag(args, '--transfers');
  const optional = {
    prefix: flag(args, '--prefix'),
    region: flag(args, '--region'),
    bandwidthLimit: flag(args, '--bwlimit'),
    transfers: transfers === undefined ? undefined : Number(transfers),
    checksum: args.includes('--checksum') ? true : undefined,
  };
  const target = await api.putS3SyncTarget(id, {
    endpoint,
    bucket,
    accessKeyId,
    secretAccessKey,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  });
  console.log(JSON.stringify(target, null, 2));
  return 0;
}

export async function runSync(api: ApiClient, args: string[], print: (run: ApiRun) => void): Promise<number> {
  const accepted = await api.runS3Sync(repositoryId(args[0]));
  console.log(`S3 sync run ${accepted.runId} started (workflow ${accepted.workflowId})`);
  if (!args.includes('--wait')) return 0;
  const run = await api.waitForRun(accepted.runId);
  print(run);
  return run.status === 'succeeded' ? 0 : 1;
}
