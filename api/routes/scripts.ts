// The server-side script library (CRUD) and a job's pre and post scripts.
import { ConflictError, InputError, NotFoundError } from '../../contract/errors';
import type * as scripts from '../../catalog/scripts';
import type { Handler } from '../context';

interface ScriptBody {
  name: string;
  description?: string;
  body: string;
  timeoutSeconds?: number;
}

const toWrite = (b: ScriptBody): scripts.ScriptWrite => ({ name: b.name, description: b.description ?? null, body: b.body, timeoutSeconds: b.timeoutSeconds ?? 600 });

export const listScripts: Handler = async (ctx) => ({ status: 200, body: { items: await ctx.catalog.scripts.list() } });

export const getScript: Handler = async (ctx, { params }) => ({ status: 200, body: await ctx.catalog.scripts.get(params.id as number) });

export const createScript: Handler = async (ctx, { body }) => {
  const id = await ctx.catalog.scripts.insert(toWrite(body as ScriptBody));
  return { status: 201, body: await ctx.catalog.scripts.get(id) };
};

export const updateScript: Handler = async (ctx, { params, body }) => {
  const id = params.id as number;
  await ctx.catalog.scripts.update(id, toWrite(body as ScriptBody));
  return { status: 200, body: await ctx.catalog.scripts.get(id) };
};

export const deleteScript: Handler = async (ctx, { params }) => {
  const id = params.id as number;
  await ctx.catalog.transaction(async (tx) => {
    await tx.scripts.get(id);
    const jobs = await tx.scripts.jobsUsing(id);
    if (jobs.length > 0) throw new ConflictError(`script ${id} is attached to job${jobs.length > 1 ? 's' : ''} ${jobs.map((j) => `"${j.name}" (${j.id})`).join(', ')}: detach it first`);
    await tx.scripts.delete(id);
  });
  return { status: 204, body: undefined };
};

export const getJobScripts: Handler = async (ctx, { params }) => {
  const jobId = params.id as number;
  await ctx.catalog.jobs.get(jobId);
  return { status: 200, body: await ctx.catalog.scripts.ofJob(jobId) };
};

export const setJobScripts: Handler = async (ctx, { params, body }) => {
  const jobId = params.id as number;
  const b = body as { pre: number[]; post: number[] };
  await ctx.catalog.transaction(async (tx) => {
    await tx.jobs.get(jobId);
    for (const id of [...b.pre, ...b.post]) {
      await tx.scripts.get(id).catch((e: unknown) => {
        throw e instanceof NotFoundError ? new InputError(`unknown script ${id}`) : e;
      });
    }
    await tx.scripts.setOfJob(jobId, b);
  });
  return { status: 200, body: await ctx.catalog.scripts.ofJob(jobId) };
};
