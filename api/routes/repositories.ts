import { BackstopError, ConflictError, ForbiddenError, InputError, NotFoundError } from '../../contract/errors';
import { ScheduleKind, scheduleIdFor } from '../../contract/names';
import { removeSchedule } from '../schedules';
import { handler } from '../context';
import { repositoryS3Context, resticS3Env, serializeS3Credentials } from '../../core/s3';
import {
  checkRepositoryEngineRequest,
  repositoryAccess,
  repositoryBackendContext,
  serializeBackendSecrets,
  type RepositoryBackendSecrets,
  type RepositoryOptions,
} from '../../core/repository-backend';
import { openRepositoryAccess } from '../../catalog/repository-access';
import { parseSshUrl } from '../../activities/shared/engines/borg/ssh';
import { checkLocalRepositoryLocation, checkRepositoryUrl } from '../repository-location';

export const listRepositories = handler('listRepositories', async (ctx) => ({ status: 200, body: { items: await ctx.catalog.repositories.list() } }));

export const getRepository = handler('getRepository', async (ctx, { params }) => ({ status: 200, body: await ctx.catalog.repositories.get(params.id) }));

export const createRepository = handler('createRepository', async (ctx, { body: b }) => {
  const engine = b.engine ?? 'restic';
  checkRepositoryEngineRequest({ ...b, engine });
  if (engine === 'borg' && b.url.startsWith('ssh://')) parseSshUrl(b.url);
  // Remote locations (S3, borg over SSH, PBS) have no local directory to check.
  const local = b.url.startsWith('/');
  if (local || b.url.startsWith('s3:')) checkRepositoryUrl(b.url, ctx.repositoryRoots);
  if (b.s3 && !b.url.startsWith('s3:')) throw new InputError('s3 keys are for repositories on S3 (an s3: URL) only');
  if (local) await checkLocalRepositoryLocation(b.url, ctx.repositoryRoots, b.init ?? true);
  const options: RepositoryOptions = {
    ...(b.appendOnly ? { appendOnly: true } : {}),
    ...(b.ssh ? { knownHosts: b.ssh.knownHosts } : {}),
    ...(b.pbs ? { pbs: { fingerprint: b.pbs.fingerprint.toLowerCase(), ...(b.pbs.namespace ? { namespace: b.pbs.namespace } : {}) } } : {}),
  };
  const backend: RepositoryBackendSecrets = {
    ...(b.ssh ? { sshPrivateKey: b.ssh.privateKey } : {}),
    ...(b.pbs?.encryptionKey ? { pbsEncryptionKey: b.pbs.encryptionKey } : {}),
    ...(b.pbs?.encryptionPassword ? { pbsEncryptionPassword: b.pbs.encryptionPassword } : {}),
  };
  // The row and the repository appear together: if the engine fails, the transaction rolls back.
  const repo = await ctx.catalog.transaction(async (tx) => {
    const id = await tx.repositories.nextId();
    const inserted = await tx.repositories.insert({
      id,
      name: b.name,
      url: b.url,
      engine,
      options,
      passwordSealed: ctx.secrets.seal(b.password, `repository:${id}`),
    });
    // A repository on S3: its keys are sealed beside the password, and restic init gets them.
    if (b.s3) await tx.repositories.setS3Sealed(id, ctx.secrets.seal(serializeS3Credentials(b.s3), repositoryS3Context(id)));
    if (Object.keys(backend).length > 0) await tx.repositories.setBackendSealed(id, ctx.secrets.seal(serializeBackendSecrets(backend), repositoryBackendContext(id)));
    const postPruneScript = b.postPruneScript ?? null;
    if (postPruneScript) await tx.repositories.setPostPruneScript(id, postPruneScript);
    const access = repositoryAccess({ url: b.url, engine }, b.password, b.s3 ? resticS3Env(b.s3) : undefined, options, backend);
    // What the engine could not do at this location is the request's to fix (the row rolls back).
    await (b.init ?? true ? ctx.engine.init(access) : ctx.engine.verifyAccess(access)).catch((err: unknown) => {
      throw err instanceof BackstopError && err.retryable ? new InputError(`cannot ${b.init ?? true ? 'create' : 'open'} the ${engine} repository at ${b.url}: ${err.message}`) : err;
    });
    return { ...inserted, postPruneScript };
  });
  ctx.logger.info({ repositoryId: repo.id, name: repo.name, engine }, 'repository created');
  return { status: 201, body: repo };
});

export const updateRepository = handler('updateRepository', async (ctx, { params, body: b }) => {
  const repo = await ctx.catalog.transaction(async (tx) => {
    await tx.repositories.get(params.id, { lock: true });
    if (b.name !== undefined) await tx.repositories.rename(params.id, b.name);
    if (b.postPruneScript !== undefined) await tx.repositories.setPostPruneScript(params.id, b.postPruneScript);
    return tx.repositories.get(params.id);
  });
  ctx.logger.info({ repositoryId: repo.id, fields: Object.keys(b) }, 'repository updated');
  return { status: 200, body: repo };
});

/** Every schedule a repository owns (prune, check, S3 sync): what its delete removes. */
const REPOSITORY_SCHEDULE_KINDS = Object.values(ScheduleKind).filter((k) => k !== ScheduleKind.backup && k !== ScheduleKind.drill);

export const deleteRepository = handler('deleteRepository', async (ctx, { params }) => {
  const id = params.id;
  await ctx.catalog.transaction(async (tx) => {
    // Locked: a job created or a run recorded against it now waits for this to commit, then
    // finds it gone.
    await tx.repositories.get(id, { lock: true });
    const jobs = await tx.repositories.jobsUsing(id);
    if (jobs.length > 0) {
      throw new ConflictError(`repository ${id} is where ${jobs.length === 1 ? 'job' : 'jobs'} ${jobs.map((j) => `${j.id} "${j.name}"`).join(', ')} back up: delete ${jobs.length === 1 ? 'it' : 'them'} first`);
    }
    const active = await tx.repositories.activeRuns(id);
    if (active.length > 0) throw new ConflictError(`repository ${id} has runs that have not finished (${active.map((r) => `${r.kind} ${r.id}`).join(', ')}): cancel them or wait, then delete`);
    await tx.repositories.markDeleted(id);
    for (const kind of REPOSITORY_SCHEDULE_KINDS) {
      const scheduleId = scheduleIdFor(kind, id);
      await tx.schedules.delete(scheduleId);
      await removeSchedule(ctx.temporal, scheduleId);
    }
  });
  ctx.logger.info({ repositoryId: id }, 'repository removed from the catalog (its data is untouched)');
  return { status: 204, body: undefined };
});

export const getAgentRepositorySecret = handler('getAgentRepositorySecret', async (ctx, { params, identity }) => {
  const id = params.id;
  // An agent gets only the secrets its own engine runs need; a repository it has nothing to
  // do with looks absent. One it backs up in pull mode only is refused by name: the agent
  // knows it uses it, and should learn why it gets no password (the server worker runs the
  // engine there).
  const use = identity.scope === 'agent' && identity.agentName ? await ctx.catalog.repositories.agentUse(identity.agentName, id) : 'none';
  if (use === 'none') throw new NotFoundError(`repository ${id} not found`);
  if (use === 'pull-only') throw new ForbiddenError(`repository ${id} is backed up in pull mode: its password stays on the server`);
  const access = await openRepositoryAccess(ctx.catalog, ctx.secrets, id);
  return {
    status: 200,
    body: {
      password: access.password,
      ...(access.env ? { env: access.env } : {}),
      engine: access.engine ?? 'restic',
      ...(access.appendOnly ? { appendOnly: true } : {}),
      ...(access.ssh ? { ssh: access.ssh } : {}),
    },
  };
});
