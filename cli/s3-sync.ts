// `backstop repos s3-sync-set|s3-sync-show|s3-sync-delete`: where a repository is mirrored.
// Keys come from the environment (BACKSTOP_S3_ACCESS_KEY_ID / BACKSTOP_S3_SECRET_ACCESS_KEY),
// never from argv, where `ps` and shell history would keep them.
import type { Command } from 'commander';
import type { components } from '../contract/generated/api-schema';
import type { BackstopConfig } from '../core/config';
import { confirm, covers, defined, positiveInt, show, type CliContext } from './command-kit';
import { UsageError } from './exit-codes';
import { formatFields } from './format';

type Target = components['schemas']['S3SyncTarget'];
type TargetSet = components['schemas']['S3SyncTargetSet'];

export interface S3SyncOptions {
  endpoint: string;
  bucket: string;
  prefix?: string;
  region?: string;
  bwlimit?: string;
  transfers?: number;
  checksum?: boolean;
}

export function s3SyncTargetRequest(o: S3SyncOptions, keys: BackstopConfig['s3Keys']): TargetSet {
  const { accessKeyId, secretAccessKey } = keys;
  if (!accessKeyId || !secretAccessKey) throw new UsageError('set BACKSTOP_S3_ACCESS_KEY_ID and BACKSTOP_S3_SECRET_ACCESS_KEY');
  return defined({ endpoint: o.endpoint, bucket: o.bucket, accessKeyId, secretAccessKey, prefix: o.prefix, region: o.region, bandwidthLimit: o.bwlimit, transfers: o.transfers, checksum: o.checksum });
}

const targetLines = (t: Target) =>
  formatFields([
    ['repository', t.repositoryId],
    ['endpoint', t.endpoint],
    ['bucket', t.bucket],
    ['prefix', t.prefix],
    ['region', t.region],
    ['access key', t.accessKeyId],
    ['bandwidth', t.bandwidthLimit],
    ['transfers', t.transfers],
    ['checksum', String(t.checksum)],
    ['updated', t.updatedAt],
  ]);

export function registerS3Sync(repos: Command, ctx: CliContext): void {
  covers(
    repos
      .command('s3-sync-set')
      .description('set the S3 sync target (keys from BACKSTOP_S3_ACCESS_KEY_ID / BACKSTOP_S3_SECRET_ACCESS_KEY)')
      .argument('<id>', 'repository id', positiveInt)
      .requiredOption('--endpoint <url>', 'S3 endpoint')
      .requiredOption('--bucket <name>', 'bucket')
      .option('--prefix <p>', 'key prefix in the bucket')
      .option('--region <r>', 'region')
      .option('--bwlimit <rate>', "rclone's bandwidth limit (10M, 1G)")
      .option('--transfers <n>', 'parallel transfers', positiveInt)
      .option('--checksum', 'compare by checksum, not size and time')
      .action(async (id: number, o: S3SyncOptions) => {
        show(ctx, await ctx.api().putS3SyncTarget(id, s3SyncTargetRequest(o, ctx.config().s3Keys)), targetLines);
      }),
    'putS3SyncTarget',
  );
  covers(
    repos
      .command('s3-sync-show')
      .description("the repository's S3 sync target (never its secret key)")
      .argument('<id>', 'repository id', positiveInt)
      .action(async (id: number) => show(ctx, await ctx.api().getS3SyncTarget(id), targetLines)),
    'getS3SyncTarget',
  );
  covers(
    repos
      .command('s3-sync-delete')
      .description('remove the S3 sync target (the bucket is left as it is)')
      .argument('<id>', 'repository id', positiveInt)
      .action(async (id: number) => {
        await ctx.api().deleteS3SyncTarget(id);
        confirm(ctx, `repository ${id} has no S3 sync target now`);
      }),
    'deleteS3SyncTarget',
  );
}
