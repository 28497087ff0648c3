// `backstop notify channels …` and `backstop notify rules …`: where notifications go and
// which events go there. Channel secrets come from environment variables (`--secret
// FIELD=ENVVAR`), never argv, where `ps` and shell history would keep them.
import type { ApiClient } from '../core/api-client';
import type { components } from '../contract/generated/api-schema';
import { flag, flags, positiveInt } from './args';

// openapi-typescript renders a free-form `settings` object as Record<string, never>; it is any JSON object.
type Settings = { settings?: Record<string, unknown> };
type Channel = Omit<components['schemas']['NotificationChannel'], 'settings'> & Required<Settings>;
type ChannelWrite = Omit<components['schemas']['NotificationChannelWrite'], 'settings'> & Settings;
type ChannelPatch = Omit<components['schemas']['NotificationChannelPatch'], 'settings'> & Settings;
type RuleWrite = components['schemas']['NotificationRuleWrite'];
type Env = Record<string, string | undefined>;

export const NOTIFY_USAGE = `  notify channels list                       notification channels (secret fields named, never shown)
  notify channels create <name> --kind K [--settings JSON] [--set key=value]... [--secret FIELD=ENVVAR]...
                                             a channel (kinds: email webhook slack mattermost discord
                                             ntfy gotify healthchecks; secret values read from ENVVAR)
  notify channels show <id>                  one channel
  notify channels edit <id> [--name N] [--settings JSON] [--set key=value]... [--secret FIELD=ENVVAR]...
                       [--remove-secret FIELD]...
                                             change it (--set changes single settings, --settings all)
  notify channels delete <id>                delete it with its rules
  notify channels test <id>                  send a test message now and show the receiver's answer
  notify rules list [--channel <id>]         the rules
  notify rules create --channel <id> --event E [--event E]... [--job <id> | --repository <id>]
                                             send events of every run (or one job's, one repository's)
  notify rules delete <id>                   delete a rule`;

function jsonObject(text: string | undefined, what: string): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error(`${what} must be a JSON object`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${what} must be a JSON object`);
  return v as Record<string, unknown>;
}

/** `--set url=https://…` pairs; a value stays a string (JSON values go through --settings). */
function settingPairs(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of flags(args, '--set')) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new Error('--set takes key=value');
    out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

/** `--secret token=HOOK_TOKEN` → `{ token: env.HOOK_TOKEN }`. */
function secretsFrom(args: string[], env: Env): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const pair of flags(args, '--secret')) {
    const m = /^([A-Za-z_][A-Za-z0-9_.-]*)=([A-Za-z_][A-Za-z0-9_]*)$/.exec(pair);
    if (!m) throw new Error('--secret takes FIELD=ENVVAR');
    const value = env[m[2]!];
    if (value === undefined) throw new Error(`--secret ${m[1]}: environment variable ${m[2]} is not set`);
    secrets[m[1]!] = value;
  }
  return secrets;
}

export function channelCreateRequest(args: string[], env: Env): ChannelWrite {
  const name = args[0];
  if (!name || name.startsWith('--')) throw new Error('notify channels create needs a name');
  const kind = flag(args, '--kind');
  if (!kind) throw new Error('notify channels create needs --kind');
  const settings = { ...(jsonObject(flag(args, '--settings'), '--settings') ?? {}), ...settingPairs(args) };
  const secrets = secretsFrom(args, env);
  // The API checks the kind against its list and answers 400 naming it.
  return { name, kind: kind as ChannelWrite['kind'], settings, ...(Object.keys(secrets).length ? { secrets } : {}) };
}

/** The PATCH body: `--set` applies single settings on top of the channel's current ones. */
export function channelPatchRequest(args: string[], current: Pick<Channel, 'settings'>, env: Env): ChannelPatch {
  const patch: ChannelPatch = {};
  const name = flag(args, '--name');
  if (name !== undefined) patch.name = name;
  const whole = jsonObject(flag(args, '--settings'), '--settings');
  const pairs = settingPairs(args);
  if (whole || Object.keys(pairs).length > 0) patch.settings = { ...(whole ?? current.settings), ...pairs };
  const secrets: Record<string, string | null> = secretsFrom(args, env);
  for (const field of flags(args, '--remove-secret')) secrets[field] = null;
  if (Object.keys(secrets).length > 0) patch.secrets = secrets;
  if (Object.keys(patch).length === 0) throw new Error('notify channels edit needs something to change (--name, --settings, --set, --secret, --remove-secret)');
  return patch;
}

export function ruleRequest(args: string[]): RuleWrite {
  const channelId = positiveInt(flag(args, '--channel'), '--channel');
  const events = flags(args, '--event') as RuleWrite['events'];
  if (events.length === 0) throw new Error('notify rules create needs at least one --event');
  const job = flag(args, '--job');
  const repository = flag(args, '--repository');
  if (job !== undefined && repository !== undefined) throw new Error('a rule is of a job or of a repository, not both');
  if (job !== undefined) return { channelId, events, scope: 'job', jobId: positiveInt(job, '--job') };
  if (repository !== undefined) return { channelId, events, scope: 'repository', repositoryId: positiveInt(repository, '--repository') };
  return { channelId, events, scope: 'global' };
}

const idArg = (args: string[], what: string) => positiveInt(args[0], what);

/** Runs `notify <group> <verb> …`; null when the command is not one of these. */
export async function notifyCommand(api: () => ApiClient, group: string | undefined, args: string[], env: Env): Promise<number | null> {
  const [verb, ...rest] = args;
  const show = (v: unknown) => console.log(JSON.stringify(v, null, 2));
  const channels = '/v1/notification-channels';
  switch (`${group ?? ''} ${verb ?? ''}`) {
    case 'channels list': {
      const { items } = await api().request<{ items: Channel[] }>('GET', channels);
      console.table(items.map((c) => ({ id: c.id, name: c.name, kind: c.kind, secrets: c.secretFields.join(' ') })));
      return 0;
    }
    case 'channels create':
      show(await api().request('POST', channels, channelCreateRequest(rest, env)));
      return 0;
    case 'channels show':
      show(await api().request('GET', `${channels}/${idArg(rest, 'channel id')}`));
      return 0;
    case 'channels edit': {
      const id = idArg(rest, 'channel id');
      const current = await api().request<Channel>('GET', `${channels}/${id}`);
      show(await api().request('PATCH', `${channels}/${id}`, channelPatchRequest(rest.slice(1), current, env)));
      return 0;
    }
    case 'channels delete':
      await api().request('DELETE', `${channels}/${idArg(rest, 'channel id')}`);
      return 0;
    case 'channels test': {
      const answer = await api().request<{ status: number | null; detail: string }>('POST', `${channels}/${idArg(rest, 'channel id')}/test`);
      console.log(`delivered: ${answer.status ?? '-'} ${answer.detail}`);
      return 0;
    }
    case 'rules list': {
      const channel = flag(rest, '--channel');
      show(await api().request('GET', `/v1/notification-rules${channel ? `?channelId=${positiveInt(channel, '--channel')}` : ''}`));
      return 0;
    }
    case 'rules create':
      show(await api().request('POST', '/v1/notification-rules', ruleRequest(rest)));
      return 0;
    case 'rules delete':
      await api().request('DELETE', `/v1/notification-rules/${idArg(rest, 'rule id')}`);
      return 0;
    default:
      return null;
  }
}
