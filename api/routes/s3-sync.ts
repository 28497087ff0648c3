// A repository's S3 sync target (the offsite copy) and on-demand sync runs. The keys are
// sealed at rest under 'repository-sync:<id>' and never leave the API again: the server
// worker opens them itself when it runs rclone.
import { requireCapability } from '../../contract/engine-capabilities';
import { Workflows } from '../../contract/workflows';
import { ConflictError, InputError } from '../../contract/errors';
import { WorkflowKind, workflowIdForRepository } from '../../contract/names';
import { parseS3Credentials, repositorySyncContext, serializeS3Credentials } from '../../core/s3';
import type { S3SyncTargetRecord } from '../../catalog/repositories';
import { idempotencyOf, startRun } from '../start-run';
import { handler, type ApiContext } from '../context';

/** Trims slashes off a prefix and refuses `..` segments; '' is the bucket root. */
export function normalizePrefix(prefix: string | undefined): string {
  const p = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  const segments = p === '' ? [] : p.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) throw new InputError('prefix must be a plain key prefix: no empty, "." or ".." segments');
  return p;
}

/** The API's view of a target: the access key id, never the secret. */
function targetView(ctx: ApiContext, t: S3SyncTargetRecord) {
  const keys = parseS3Credentials(ctx.secrets.open(t.credentialsSealed, repositorySyncContext(t.repositoryId)));
  return {
    repositoryId: t.repositoryId,
    endpoint: t.endpoint,
    bucket: t.bucket,
    prefix: t.prefix,
    region: t.region,
    accessKeyId: keys.accessKeyId,
    bandwidthLimit: t.bandwidthLimit,
    transfers: t.transfers,
    checksum: t.checksum,
    updatedAt: t.updatedAt,
  };
}

/** The schema's pattern admits a malformed host (`http://[x`, `http://[::::]`); rclone would only fail at sync time. */
export function checkEndpoint(endpoint: string): void {
  let host: string;
  try {
    host = new URL(endpoint).hostname;
  } catch {
    throw new InputError(`endpoint ${JSON.stringify(endpoint)} is not a URL: give http(s)://host[:port]`);
  }
  if (host === '') throw new InputError(`endpoint ${JSON.stringify(endpoint)} names no host`);
}

export const putS3SyncTarget = handler('putS3SyncTarget', async (ctx, { params, body: b }) => {
  const id = params.id;
  const repo = await ctx.catalog.repositories.get(id);
  if (repo.url.startsWith('s3:')) throw new InputError(`repository ${repo.name} is on S3 already; only repositories on a local path can be synced to S3`);
  requireCapability(repo.engine, 's3Sync', { local: repo.url.startsWith('/') });
  checkEndpoint(b.endpoint);
  await ctx.catalog.repositories.putSyncTarget({
    repositoryId: id,
    endpoint: b.endpoint.replace(/\/+$/, ''),
    bucket: b.bucket,
    prefix: normalizePrefix(b.prefix),
    region: b.region ?? null,
    credentialsSealed: ctx.secrets.seal(serializeS3Credentials({ accessKeyId: b.accessKeyId, secretAccessKey: b.secretAccessKey }), repositorySyncContext(id)),
    bandwidthLimit: b.bandwidthLimit ?? null,
    transfers: b.transfers ?? null,
    checksum: b.checksum ?? false,
  });
  ctx.logger.info({ repositoryId: id, bucket: b.bucket }, 'S3 sync target set');
  return { status: 200, body: targetView(ctx, await ctx.catalog.repositories.syncTarget(id)) };
});

export const getS3SyncTarget = handler('getS3SyncTarget', async (ctx, { params }) => {
  const id = params.id;
  await ctx.catalog.repositories.get(id);
  return { status: 200, body: targetView(ctx, await ctx.catalog.repositories.syncTarget(id)) };
});

export const deleteS3SyncTarget = handler('deleteS3SyncTarget', async (ctx, { params }) => {
  const id = params.id;
  await ctx.catalog.repositories.get(id);
  if (!(await ctx.catalog.repositories.deleteSyncTarget(id))) await ctx.catalog.repositories.syncTarget(id); // throws the 404
  return { status: 204, body: undefined };
});

export const runS3Sync = handler('runS3Sync', async (ctx, { params }) => {
  const id = params.id;
  const repo = await ctx.catalog.repositories.get(id);
  if (!(await ctx.catalog.repositories.hasSyncTarget(id))) throw new ConflictError(`repository ${repo.name} has no S3 sync target: PUT /v1/repositories/${id}/s3-sync first`);
  const started = await startRun(ctx, {
    idempotency: idempotencyOf(params, `runS3Sync:${id}`),
    run: { kind: 's3-sync', jobId: null, repositoryId: id },
    workflowIdAt: (at) => workflowIdForRepository(WorkflowKind.s3Sync, id, at),
    workflow: Workflows.s3Sync,
    input: (runId) => ({ runId, repositoryId: id }),
  });
  return { status: 202, body: { runId: started.runId, workflowId: started.workflowId, status: 'queued' } };
});
