import { ForbiddenError, InputError, NotFoundError } from '../../contract/errors';
import { handler } from '../context';
import { parseS3Credentials, repositoryS3Context, resticS3Env, serializeS3Credentials } from '../../core/s3';
import { checkLocalRepositoryLocation, checkRepositoryUrl } from '../repository-location';

export const listRepositories = handler('listRepositories', async (ctx) => ({ status: 200, body: { items: await ctx.catalog.repositories.list() } }));

export const getRepository = handler('getRepository', async (ctx, { params }) => ({ status: 200, body: await ctx.catalog.repositories.get(params.id) }));

export const createRepository = handler('createRepository', async (ctx, { body: b }) => {
  checkRepositoryUrl(b.url, ctx.repositoryRoots);
  if (b.s3 && !b.url.startsWith('s3:')) throw new InputError('s3 keys are for repositories on S3 (an s3: URL) only');
  await checkLocalRepositoryLocation(b.url, ctx.repositoryRoots, b.init ?? true);
  // The row and the repository appear together: if restic fails, the transaction rolls back.
  const repo = await ctx.catalog.transaction(async (tx) => {
    const id = await tx.repositories.nextId();
    const inserted = await tx.repositories.insert({
      id,
      name: b.name,
      url: b.url,
      passwordSealed: ctx.secrets.seal(b.password, `repository:${id}`),
    });
    // A repository on S3: its keys are sealed beside the password, and restic init gets them.
    if (b.s3) await tx.repositories.setS3Sealed(id, ctx.secrets.seal(serializeS3Credentials(b.s3), repositoryS3Context(id)));
    const postPruneScript = b.postPruneScript ?? null;
    if (postPruneScript) await tx.repositories.setPostPruneScript(id, postPruneScript);
    const access = { url: b.url, password: b.password, env: b.s3 ? resticS3Env(b.s3) : undefined };
    if (b.init ?? true) await ctx.engine.init(access);
    else await ctx.engine.verifyAccess(access);
    return { ...inserted, postPruneScript };
  });
  ctx.logger.info({ repositoryId: repo.id, name: repo.name }, 'repository created');
  return { status: 201, body: repo };
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
  const password = ctx.secrets.open(await ctx.catalog.repositories.sealedPassword(id), `repository:${id}`);
  const s3 = await ctx.catalog.repositories.s3Sealed(id);
  const env = s3 ? resticS3Env(parseS3Credentials(ctx.secrets.open(s3, repositoryS3Context(id)))) : undefined;
  return { status: 200, body: env ? { password, env } : { password } };
});
