// The server-side script library (CRUD) and a job's pre and post scripts.
import { ConflictError, InputError, NotFoundError } from '../../core/errors';
import { withTransaction } from '../../catalog/db';
import * as scripts from '../../catalog/scripts';
import { handler } from '../context';
import type { components } from '../generated/schema';

type ScriptBody = components['schemas']['ScriptWrite'];

const toWrite = (b: ScriptBody): scripts.ScriptWrite => ({ name: b.name, description: b.description ?? null, body: b.body, timeoutSeconds: b.timeoutSeconds ?? 600 });

export const listScripts = handler('listScripts', async (ctx) => ({ status: 200, body: { items: await scripts.listScripts(ctx.catalog.db) } }));

export const getScript = handler('getScript', async (ctx, { params }) => ({ status: 200, body: await scripts.getScript(ctx.catalog.db, params.id) }));

export const createScript = handler('createScript', async (ctx, { body }) => {
  const id = await scripts.insertScript(ctx.catalog.db, toWrite(body));
  return { status: 201, body: await scripts.getScript(ctx.catalog.db, id) };
});

export const updateScript = handler('updateScript', async (ctx, { params, body }) => {
  const id = params.id;
  await scripts.updateScript(ctx.catalog.db, id, toWrite(body));
  return { status: 200, body: await scripts.getScript(ctx.catalog.db, id) };
});

export const deleteScript = handler('deleteScript', async (ctx, { params }) => {
  const id = params.id;
  await withTransaction(ctx.catalog.db, async (tx) => {
    await scripts.getScript(tx, id);
    const jobs = await scripts.jobsUsingScript(tx, id);
    if (jobs.length > 0) throw new ConflictError(`script ${id} is attached to job${jobs.length > 1 ? 's' : ''} ${jobs.map((j) => `"${j.name}" (${j.id})`).join(', ')}: detach it first`);
    await scripts.deleteScript(tx, id);
  });
  return { status: 204, body: undefined };
});

export const getJobScripts = handler('getJobScripts', async (ctx, { params }) => {
  const jobId = params.id;
  await ctx.catalog.getJob(jobId);
  return { status: 200, body: await scripts.jobScripts(ctx.catalog.db, jobId) };
});

export const setJobScripts = handler('setJobScripts', async (ctx, { params, body: b }) => {
  const jobId = params.id;
  await withTransaction(ctx.catalog.db, async (tx) => {
    await ctx.catalog.getJob(jobId, tx);
    for (const id of [...b.pre, ...b.post]) {
      await scripts.getScript(tx, id).catch((e: unknown) => {
        throw e instanceof NotFoundError ? new InputError(`unknown script ${id}`) : e;
      });
    }
    await scripts.setJobScripts(tx, jobId, b);
  });
  return { status: 200, body: await scripts.jobScripts(ctx.catalog.db, jobId) };
});
