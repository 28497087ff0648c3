// Retention and prune: set a job's policy, preview it, start a prune run of a repository.
import { checkRetentionForEngine, requireCapability } from '../../contract/engine-capabilities';
import { openRepository } from '../../activities/server/repository-access';
import { Workflows } from '../../contract/workflows';
import { checkRetentionPolicy, type RetentionPolicy } from '../../contract/retention';
import { JOB_TAG_PREFIX, WorkflowKind, workflowIdForRepository } from '../../contract/names';
import type { EngineSnapshot, ForgetGroup } from '../../contract/engine';
import { idempotencyOf, startRun } from '../start-run';
import { handler } from '../context';
import { jobView } from './jobs';

export const setJobRetention = handler('setJobRetention', async (ctx, { params, body }) => {
  const { retention } = body;
  if (retention) {
    checkRetentionPolicy(retention);
    const job = await ctx.catalog.jobs.get(params.id);
    checkRetentionForEngine((await ctx.catalog.repositories.get(job.repositoryId)).engine, retention);
  }
  await ctx.catalog.jobs.setRetention(params.id, retention);
  return { status: 200, body: jobView(await ctx.catalog.jobs.get(params.id)) };
});

const removed = (s: EngineSnapshot) => ({ snapshotId: s.id, time: s.time, hostname: s.hostname, paths: s.paths });

/** Newest first across groups, as the snapshot list shows them. */
const newestFirst = <T extends { time: string }>(a: T, b: T) => Date.parse(b.time) - Date.parse(a.time);

export function previewView(policy: RetentionPolicy | null, groups: ForgetGroup[]) {
  return {
    policy,
    keep: groups.flatMap((g) => g.keep.map((k) => ({ ...removed(k.snapshot), reasons: k.reasons }))).sort(newestFirst),
    remove: groups.flatMap((g) => g.remove.map(removed)).sort(newestFirst),
  };
}

/**
 * restic itself decides, with a dry-run forget that takes no lock: the preview is exactly
 * what a prune would do now, and it neither waits for nor disturbs a running backup.
 */
export const previewRetention = handler('previewRetention', async (ctx, { params }) => {
  const job = await ctx.catalog.jobs.get(params.id);
  const repo = await openRepository(ctx.catalog, ctx.secrets, job.repositoryId);
  const tag = `${JOB_TAG_PREFIX}${job.id}`;
  if (!job.retention) {
    const all = await ctx.engine.findSnapshotsByTag(repo, tag);
    return { status: 200, body: previewView(null, [{ host: null, paths: [], tags: [], keep: all.map((snapshot) => ({ snapshot, reasons: ['no retention policy'] })), remove: [] }]) };
  }
  const groups = await ctx.engine.forget(repo, { tags: [tag], policy: job.retention, dryRun: true, noLock: true });
  return { status: 200, body: previewView(job.retention, groups) };
});

export const pruneRepository = handler('pruneRepository', async (ctx, { params }) => {
  const repository = await ctx.catalog.repositories.get(params.id);
  requireCapability(repository.engine, 'prune', { appendOnly: repository.appendOnly });
  const started = await startRun(ctx, {
    idempotency: idempotencyOf(params, `pruneRepository:${repository.id}`),
    run: { kind: 'prune', jobId: null, repositoryId: repository.id },
    workflowIdAt: (at) => workflowIdForRepository(WorkflowKind.prune, repository.id, at),
    workflow: Workflows.prune,
    input: (runId) => ({ runId, repositoryId: repository.id }),
  });
  return { status: 202, body: { runId: started.runId, workflowId: started.workflowId, status: 'queued' } };
});
