// Notification channels (secrets write-only: sealed under 'notification-channel:<id>', shown
// only by name), the rules that send run events to them, and the test button.
import { InputError, NotFoundError } from '../../contract/errors';
import type { ChannelKind } from '../../contract/notifications';
import { channelSecretContext, type ChannelRecord, type RuleRecord, type RuleWrite } from '../../catalog/notifications';
import type { CatalogScope } from '../../catalog/catalog';
import { DELIVERERS, validateChannel } from '../../activities/server/notify/channels';
import { channelSpec } from '../../activities/server/notify/delivery-activities';
import { deliverOnce } from '../../activities/server/notify/deliver-once';
import { buildMessage } from '../../activities/server/notify/message';
import { handler, type ApiContext } from '../context';
import type { components } from '../../contract/generated/api-schema';

type RuleBody = components['schemas']['NotificationRuleWrite'];

const DEFAULT_TEST_TIMEOUT_MS = 15_000;

/** The answer's view of a channel: settings, and the names of the secret fields that are set (never their values). */
const channelView = (c: ChannelRecord) => ({ id: c.id, name: c.name, kind: c.kind, settings: c.settings, secretFields: c.secretFields, createdAt: c.createdAt, updatedAt: c.updatedAt });

const ruleView = (r: RuleRecord) => ({
  id: r.id,
  channelId: r.channelId,
  events: r.events,
  scope: r.scope,
  jobId: r.scope === 'job' ? r.jobId : null,
  repositoryId: r.scope === 'repository' ? r.repositoryId : null,
  createdAt: r.createdAt,
});

/** The kind's checks (activities/server/notify/channels): InputError naming the field, before anything is stored. */
function checkChannel(kind: ChannelKind, settings: Record<string, unknown>, secrets: Record<string, string>): void {
  validateChannel(kind, settings, secrets);
}

function sealSecrets(ctx: ApiContext, id: number, secrets: Record<string, string>): string | null {
  return Object.keys(secrets).length > 0 ? ctx.secrets.seal(JSON.stringify(secrets), channelSecretContext(id)) : null;
}

async function openSecrets(ctx: ApiContext, q: CatalogScope, id: number): Promise<Record<string, string>> {
  const sealed = await q.notifications.channelSecrets(id);
  // Sealed by this API from a request's `secrets`, which the spec makes a map of strings.
  return sealed ? (JSON.parse(ctx.secrets.open(sealed, channelSecretContext(id))) as Record<string, string>) : {};
}

export const listNotificationChannels = handler('listNotificationChannels', async (ctx) => ({
  status: 200,
  body: { items: (await ctx.catalog.notifications.listChannels()).map(channelView) },
}));

export const getNotificationChannel = handler('getNotificationChannel', async (ctx, { params }) => ({
  status: 200,
  body: channelView(await ctx.catalog.notifications.getChannel(params.id)),
}));

export const createNotificationChannel = handler('createNotificationChannel', async (ctx, { body: b }) => {
  const settings = b.settings ?? {};
  const secrets = b.secrets ?? {};
  checkChannel(b.kind, settings, secrets);
  const channel = await ctx.catalog.transaction(async (tx) => {
    const id = await tx.notifications.nextChannelId();
    return tx.notifications.insertChannel(id, { name: b.name, kind: b.kind, settings, secretFields: Object.keys(secrets).sort() }, sealSecrets(ctx, id, secrets));
  });
  ctx.logger.info({ channelId: channel.id, kind: channel.kind }, 'notification channel created');
  return { status: 201, body: channelView(channel) };
});

export const updateNotificationChannel = handler('updateNotificationChannel', async (ctx, { params, body: b }) => {
  const id = params.id;
  const channel = await ctx.catalog.transaction(async (tx) => {
    const current = await tx.notifications.getChannel(id);
    const settings = b.settings ?? current.settings;
    const secrets = await openSecrets(ctx, tx, id);
    for (const [field, value] of Object.entries(b.secrets ?? {})) {
      if (value === null) delete secrets[field];
      else secrets[field] = value;
    }
    checkChannel(current.kind, settings, secrets);
    return tx.notifications.updateChannel(id, { name: b.name ?? current.name, kind: current.kind, settings, secretFields: Object.keys(secrets).sort() }, sealSecrets(ctx, id, secrets));
  });
  return { status: 200, body: channelView(channel) };
});

export const deleteNotificationChannel = handler('deleteNotificationChannel', async (ctx, { params }) => {
  await ctx.catalog.notifications.deleteChannel(params.id);
  return { status: 204, body: undefined };
});

export const testNotificationChannel = handler('testNotificationChannel', async (ctx, { params }) => {
  const channel = await ctx.catalog.notifications.getChannel(params.id);
  const spec = channelSpec(channel, await ctx.catalog.notifications.channelSecrets(channel.id), ctx.secrets);
  const message = buildMessage({ event: 'test', occurredAt: new Date().toISOString(), run: null, job: null, repository: null });
  // Throws a redacted DeliveryError (502) or the kind's refusal (400) for the problem middleware.
  const answer = await deliverOnce(DELIVERERS[channel.kind], spec, message, { timeoutMs: ctx.notifyTimeoutMs ?? DEFAULT_TEST_TIMEOUT_MS });
  ctx.logger.info({ channelId: channel.id, status: answer.status }, 'notification channel tested');
  return { status: 200, body: answer };
});

/** The rule as stored: the scope's id present exactly when the scope names one, and existing. */
async function ruleWrite(q: CatalogScope, b: RuleBody): Promise<RuleWrite> {
  const known = async (what: string, field: string, get: () => Promise<unknown>) =>
    get().catch((e: unknown) => {
      throw e instanceof NotFoundError ? new InputError(`${field}: ${what} not found`, { field }) : e;
    });
  await known(`notification channel ${b.channelId}`, 'channelId', () => q.notifications.getChannel(b.channelId));
  const base = { channelId: b.channelId, events: b.events };
  switch (b.scope) {
    case 'global':
      if (b.jobId !== undefined || b.repositoryId !== undefined) throw new InputError('a global rule takes neither jobId nor repositoryId', { field: b.jobId !== undefined ? 'jobId' : 'repositoryId' });
      return { ...base, scope: 'global' };
    case 'job':
      if (b.jobId === undefined) throw new InputError('jobId is required with scope job', { field: 'jobId' });
      if (b.repositoryId !== undefined) throw new InputError('a job rule takes no repositoryId', { field: 'repositoryId' });
      await known(`job ${b.jobId}`, 'jobId', () => q.jobs.get(b.jobId!));
      return { ...base, scope: 'job', jobId: b.jobId };
    case 'repository':
      if (b.repositoryId === undefined) throw new InputError('repositoryId is required with scope repository', { field: 'repositoryId' });
      if (b.jobId !== undefined) throw new InputError('a repository rule takes no jobId', { field: 'jobId' });
      await known(`repository ${b.repositoryId}`, 'repositoryId', () => q.repositories.get(b.repositoryId!));
      return { ...base, scope: 'repository', repositoryId: b.repositoryId };
  }
}

export const listNotificationRules = handler('listNotificationRules', async (ctx, { query }) => ({
  status: 200,
  body: { items: (await ctx.catalog.notifications.listRules({ channelId: query.channelId })).map(ruleView) },
}));

export const getNotificationRule = handler('getNotificationRule', async (ctx, { params }) => ({
  status: 200,
  body: ruleView(await ctx.catalog.notifications.getRule(params.id)),
}));

export const createNotificationRule = handler('createNotificationRule', async (ctx, { body }) => {
  const rule = await ctx.catalog.transaction(async (tx) => tx.notifications.insertRule(await ruleWrite(tx, body)));
  return { status: 201, body: ruleView(rule) };
});

export const deleteNotificationRule = handler('deleteNotificationRule', async (ctx, { params }) => {
  await ctx.catalog.notifications.deleteRule(params.id);
  return { status: 204, body: undefined };
});
