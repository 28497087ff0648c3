import { randomUUID } from 'node:crypto';
import type { Job } from '../../core/model';
import { InputError, NotFoundError } from '../../core/errors';
import { WorkflowKind, workflowIdFor } from '../../core/names';
import { withTransaction } from '../../catalog/db';
import type { BackupWorkflowInput } from '../../workflows/backup';
import { idempotencyOf, startRun } from '../start-run';
import type { Handler } from '../context';
import { checkRetentionPolicy, type RetentionPolicy } from '../../core/retention';

/** The API's view of a job names its agent as `agent`. */
export function jobView(job: Job) {
  const { agentName, ...rest } = job;
  return { ...rest, agent: agentName };
}

export const listJobs: Handler = async (ctx) => ({ status: 200, body: { items: (await ctx.catalog.listJobs()).map(jobView) } });

export const getJob: Handler = async (ctx, { params }) => ({ status: 200, body: jobView(await ctx.catalog.getJob(params.id as number)) });

export const createJob: Handler = async (ctx, { body }) => {
  const b = body as { name: string; agent: string; repositoryId: number; paths: string[]; excludes?: string[]; snapshotMode?: 'none'; preScript?: string; postHook?: string };
  const retention = (body as { retention?: RetentionPolicy }).retention;
  if (retention) checkRetentionPolicy(retention);
  const id = await withTransaction(ctx.catalog.db, async (tx) => {
    const agent = await ctx.catalog.findAgentByName(tx, b.agent);
    if (!agent) throw new InputError(`unknown agent "${b.agent}": agents register themselves when they start`);
    // Inside the transaction use its client only: PGlite serialises connections while a
    // transaction is open, so a query on another connection would wait forever.
    await ctx.catalog.getRepository(b.repositoryId, tx).catch((e: unknown) => {
      throw e instanceof NotFoundError ? new InputError(`unknown repository ${b.repositoryId}`) : e;
    });
    const jobId = await ctx.catalog.insertJob(tx, {
      name: b.name,
      agentId: agent.id,
      repositoryId: b.repositoryId,
      paths: b.paths,
      excludes: b.excludes ?? [],
      snapshotMode: b.snapshotMode ?? 'none',
      preScript: b.preScript ?? null,
      postHook: b.postHook ?? null,
    });
    if (retention) await ctx.catalog.setJobRetention(tx, jobId, retention);
    return jobId;
  });
  return { status: 201, body: jobView(await ctx.catalog.getJob(id)) };
};

export const runJob: Handler = async (ctx, { params }) => {
  const job = await ctx.catalog.getJob(params.id as number);
  const runId = randomUUID();
  const started = await startRun(ctx, {
    idempotency: idempotencyOf(params, `runJob:${job.id}`),
    run: { id: runId, kind: 'backup', jobId: job.id, repositoryId: job.repositoryId, agentName: job.agentName },
    workflowIdAt: (at) => workflowIdFor(WorkflowKind.backup, job.id, at),
    workflowType: 'backupWorkflow',
    args: [{ runId, jobId: job.id, agentScheduleToStartMs: ctx.agentScheduleToStartMs, engineHeartbeatTimeoutMs: ctx.engineHeartbeatTimeoutMs } satisfies BackupWorkflowInput],
  });
  // A replayed Idempotency-Key answers as the first request was answered.
  return { status: 202, body: { runId: started.runId, workflowId: started.workflowId, status: 'queued' } };
};
