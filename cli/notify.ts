// `backstop notify channels …` and `backstop notify rules …`: where notifications go and
// which events go there. Channel secrets come from environment variables (`--secret
// FIELD=ENVVAR`), never argv, where `ps` and shell history would keep them.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { components } from '../contract/generated/api-schema';
import { collect, confirm, covers, jsonObject, positiveInt, secretsFromEnv, show, showTable, type CliContext } from './command-kit';
import { UsageError } from './exit-codes';
import { formatFields } from './format';

// openapi-typescript renders a free-form `settings` object as Record<string, never>; it is any JSON object.
type Settings = { settings?: Record<string, unknown> };
type Channel = Omit<components['schemas']['NotificationChannel'], 'settings'> & Required<Settings>;
type ChannelWrite = Omit<components['schemas']['NotificationChannelWrite'], 'settings'> & Settings;
type ChannelPatch = Omit<components['schemas']['NotificationChannelPatch'], 'settings'> & Settings;
type Rule = components['schemas']['NotificationRule'];
type RuleWrite = components['schemas']['NotificationRuleWrite'];
type Env = Record<string, string | undefined>;

/** `--set url=https://…`: one setting; the value stays a string (JSON values go through --settings). */
export function settingPair(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const i = value.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError('--set takes key=value.');
  return { ...(previous ?? {}), [value.slice(0, i)]: value.slice(i + 1) };
}

export interface ChannelOptions {
  kind?: string;
  name?: string;
  settings?: Record<string, unknown>;
  set?: Record<string, string>;
  secret?: string[];
  removeSecret?: string[];
}

export function channelCreateRequest(name: string, o: ChannelOptions & { kind: string }, env: Env): ChannelWrite {
  const secrets = secretsFromEnv(o.secret, env);
  // The API checks the kind against its list and answers 400 naming it.
  return { name, kind: o.kind as ChannelWrite['kind'], settings: { ...(o.settings ?? {}), ...(o.set ?? {}) }, ...(Object.keys(secrets).length ? { secrets } : {}) };
}

/** The PATCH body: `--set` applies single settings on top of the channel's current ones. */
export function channelPatchRequest(o: ChannelOptions, current: Pick<Channel, 'settings'>, env: Env): ChannelPatch {
  const patch: ChannelPatch = {};
  if (o.name !== undefined) patch.name = o.name;
  if (o.settings || o.set) patch.settings = { ...(o.settings ?? current.settings), ...(o.set ?? {}) };
  const secrets: Record<string, string | null> = secretsFromEnv(o.secret, env);
  for (const field of o.removeSecret ?? []) secrets[field] = null;
  if (Object.keys(secrets).length > 0) patch.secrets = secrets;
  if (Object.keys(patch).length === 0) throw new UsageError('notify channels edit needs something to change (--name, --settings, --set, --secret, --remove-secret)');
  return patch;
}

export interface RuleOptions {
  channel: number;
  event: string[];
  job?: number;
  repository?: number;
}

export function ruleRequest(o: RuleOptions): RuleWrite {
  const events = o.event as RuleWrite['events'];
  if (o.job !== undefined && o.repository !== undefined) throw new UsageError('a rule is of a job or of a repository, not both');
  if (o.job !== undefined) return { channelId: o.channel, events, scope: 'job', jobId: o.job };
  if (o.repository !== undefined) return { channelId: o.channel, events, scope: 'repository', repositoryId: o.repository };
  return { channelId: o.channel, events, scope: 'global' };
}

const channelLines = (c: Channel) =>
  formatFields([
    ['id', c.id],
    ['name', c.name],
    ['kind', c.kind],
    ['settings', JSON.stringify(c.settings)],
    ['secrets', c.secretFields.join(' ') || 'none'],
  ]);
const ruleScope = (r: Rule) => (r.scope === 'job' ? `job ${r.jobId}` : r.scope === 'repository' ? `repository ${r.repositoryId}` : 'every run');
const ruleLines = (r: Rule) => [`rule ${r.id}: ${r.events.join(', ')} of ${ruleScope(r)} → channel ${r.channelId}`];

export function registerNotify(notify: Command, ctx: CliContext): void {
  const api = () => ctx.api();
  const channelsPath = '/v1/notification-channels';
  const channels = notify.command('channels').description('where notifications go (email, webhooks, chat, healthchecks)');
  const rules = notify.command('rules').description('which events go to which channel');

  covers(
    channels
      .command('list')
      .description('notification channels (secret fields named, never shown)')
      .action(async () => {
        const answer = await api().request<{ items: Channel[] }>('GET', channelsPath);
        showTable(ctx, answer, answer.items, [
          { header: 'id', value: (c) => c.id, right: true },
          { header: 'name', value: (c) => c.name },
          { header: 'kind', value: (c) => c.kind },
          { header: 'secrets', value: (c) => c.secretFields.join(' ') },
        ]);
      }),
    'listNotificationChannels',
  );
  const settingOptions = (cmd: Command) =>
    cmd
      .option('--settings <json>', 'all plain settings, a JSON object', jsonObject)
      .option('--set <key=value>', 'one setting (repeatable; on top of --settings)', settingPair)
      .option('--secret <FIELD=ENVVAR>', 'a secret field, its value from ENVVAR (repeatable)', collect);
  covers(
    settingOptions(
      channels
        .command('create')
        .description('a channel (kinds: email webhook slack mattermost discord ntfy gotify healthchecks)')
        .argument('<name>', 'channel name')
        .requiredOption('--kind <kind>', 'channel kind'),
    ).action(async (name: string, o: ChannelOptions & { kind: string }) => show(ctx, await api().request<Channel>('POST', channelsPath, channelCreateRequest(name, o, ctx.env)), channelLines)),
    'createNotificationChannel',
  );
  covers(
    channels
      .command('show')
      .description('one channel')
      .argument('<id>', 'channel id', positiveInt)
      .action(async (id: number) => show(ctx, await api().request<Channel>('GET', `${channelsPath}/${id}`), channelLines)),
    'getNotificationChannel',
  );
  covers(
    settingOptions(channels.command('edit').description('change a channel (--set changes single settings, --settings all)').argument('<id>', 'channel id', positiveInt))
      .option('--name <name>', 'a new name')
      .option('--remove-secret <FIELD>', 'drop a secret field (repeatable)', collect)
      .action(async (id: number, o: ChannelOptions) => {
        const current = await api().request<Channel>('GET', `${channelsPath}/${id}`);
        show(ctx, await api().request<Channel>('PATCH', `${channelsPath}/${id}`, channelPatchRequest(o, current, ctx.env)), channelLines);
      }),
    'getNotificationChannel',
    'updateNotificationChannel',
  );
  covers(
    channels
      .command('delete')
      .description('delete a channel with its rules')
      .argument('<id>', 'channel id', positiveInt)
      .action(async (id: number) => {
        await api().request('DELETE', `${channelsPath}/${id}`);
        confirm(ctx, `channel ${id} deleted`);
      }),
    'deleteNotificationChannel',
  );
  covers(
    channels
      .command('test')
      .description("send a test message now and show the receiver's answer")
      .argument('<id>', 'channel id', positiveInt)
      .action(async (id: number) => {
        const answer = await api().request<{ status: number | null; detail: string }>('POST', `${channelsPath}/${id}/test`);
        show(ctx, answer, (a) => [`delivered: ${a.status ?? '-'} ${a.detail}`]);
      }),
    'testNotificationChannel',
  );

  covers(
    rules
      .command('list')
      .description('the rules')
      .option('--channel <id>', 'rules of one channel', positiveInt)
      .action(async (o: { channel?: number }) => {
        const answer = await api().request<{ items: Rule[] }>('GET', `/v1/notification-rules${o.channel ? `?channelId=${o.channel}` : ''}`);
        showTable(ctx, answer, answer.items, [
          { header: 'id', value: (r) => r.id, right: true },
          { header: 'channel', value: (r) => r.channelId, right: true },
          { header: 'scope', value: ruleScope },
          { header: 'events', value: (r) => r.events.join(' ') },
        ]);
      }),
    'listNotificationRules',
  );
  covers(
    rules
      .command('create')
      .description("send events of every run (or of one job's, one repository's runs) to a channel")
      .requiredOption('--channel <id>', 'channel id', positiveInt)
      .requiredOption('--event <event>', 'an event such as run.failed (repeatable)', collect)
      .option('--job <id>', "only this job's runs", positiveInt)
      .option('--repository <id>', "only this repository's runs", positiveInt)
      .action(async (o: RuleOptions) => show(ctx, await api().request<Rule>('POST', '/v1/notification-rules', ruleRequest(o)), ruleLines)),
    'createNotificationRule',
  );
  covers(
    rules
      .command('show')
      .description('one rule')
      .argument('<id>', 'rule id', positiveInt)
      .action(async (id: number) => show(ctx, await api().request<Rule>('GET', `/v1/notification-rules/${id}`), ruleLines)),
    'getNotificationRule',
  );
  covers(
    rules
      .command('delete')
      .description('delete a rule')
      .argument('<id>', 'rule id', positiveInt)
      .action(async (id: number) => {
        await api().request('DELETE', `/v1/notification-rules/${id}`);
        confirm(ctx, `rule ${id} deleted`);
      }),
    'deleteNotificationRule',
  );
}
