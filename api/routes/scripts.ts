// The server-side script library (CRUD) and a job's pre and post scripts.
import { ConflictError, InputError, NotFoundError } from '../../contract/errors';
import type * as scripts from '../../catalog/scripts';
import { handler } from '../context';
import type { components } from '../../contract/generated/api-schema';

type ScriptBody = components['schemas']['ScriptWrite'];

const toWrite = (b: ScriptBody): scripts.ScriptWrite => ({ name: b.name, description: b.description ?? null, body: b.body, timeoutSeconds: b.timeoutSeconds ?? 600 });

export const listScripts = handler('listScripts', async (ctx) => ({ status: 200, body: { items: await ctx.catalog.scripts.list() } }));

export const getScript = handler('getScript', async (ctx, { params }) => ({ status: 200, body: await ctx.catalog.scripts.get(params.id) }));

export const createScript = handler('createScript', async (ctx, { body }) => {
  const id = await ctx.catalog.scripts.insert(toWrite(body));
  return { status: 201, body: await ctx.catalog.scripts.get(id) };
});

export const updateScript = handler('updateScript', async (ctx, { params, body }) => {
  const id = params.id;
  await ctx.catalog.scripts.update(id, toWrite(body));
  return { status: 200, body: await ctx.catalog.scripts.get(id) };
});

export const deleteScript = handler('deleteScript', async (ctx, { params }) => {
  const id = params.id;
  await ctx.catalog.transaction(async (tx) => {
    await tx.scripts.get(id);
    const jobs = await tx.scripts.jobsUsing(id);
    if (jobs.length > 0) throw new ConflictError(`script ${id} is attached to job${jobs.length > 1 ? 's' : ''} ${jobs.map((j) => `"${j.name}" (${j.id})`).join(', ')}: detach it first`);
    await tx.scripts.delete(id);
  });
  return { status: 204, body: undefined };
});

export const getJobScripts = handler('getJobScripts', async (ctx, { params }) => {
  const jobId = params.id;
  await ctx.catalog.jobs.get(jobId);
  return { status: 200, body: await ctx.catalog.scripts.ofJob(jobId) };
});

export const setJobScripts = handler('setJobScripts', async (ctx, { params, body: b }) => {
  const jobId = params.id;
  await ctx.catalog.transaction(async (tx) => {
    const job = await tx.jobs.get(jobId);
    if (job.kind === 'guest' && b.pre.length + b.post.length > 0) throw new InputError(`job ${jobId} is a guest job: its runs take no library scripts yet (a post hook on the job runs on its agent)`);
    for (const id of [...b.pre, ...b.post]) {
      await tx.scripts.get(id).catch((e: unknown) => {
        throw e instanceof NotFoundError ? new InputError(`unknown script ${id}`) : e;
      });
    }
    await tx.scripts.setOfJob(jobId, b);
  });
  return { status: 200, body: await ctx.catalog.scripts.ofJob(jobId) };
});
