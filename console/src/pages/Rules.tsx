// Notification rules (on the channels page): which events of which runs go to which channel.
// List, create (every run, one job's, or one repository's), delete; a rule has no edit in the
// API: delete it and create another.
import { useState } from 'preact/hooks';
import { api, ok, type Schemas } from '../api';
import { errorsOf, Field, GeneralError, NO_ERRORS } from '../forms';
import { useConfirmedAction, useLoad } from '../hooks';
import { Ago } from '../ui';

type RuleEvent = Schemas['NotificationRuleEvent'];
type Scope = Schemas['NotificationRuleWrite']['scope'];
type Rule = Schemas['NotificationRule'];

/** Every event a rule can subscribe to, in the order shown (the compiler checks none is missing). */
const EVENTS = Object.keys({
  'run.started': true,
  'run.succeeded': true,
  'run.warning': true,
  'run.failed': true,
  'job.stale': true,
  'agent.unreachable': true,
  'restore.awaiting_approval': true,
  'prune.failed': true,
  'sync.failed': true,
  'drill.failed': true,
  'drill.stale': true,
} satisfies Record<RuleEvent, true>) as RuleEvent[];

export function Rules(props: { channels: Array<Schemas['NotificationChannel']> }) {
  const { data, error, reload } = useLoad(async () => {
    const [rules, jobs, repositories] = await Promise.all([ok(api.GET('/v1/notification-rules')), ok(api.GET('/v1/jobs')), ok(api.GET('/v1/repositories'))]);
    return { rules: rules.items, jobs: jobs.items, repositories: repositories.items };
  }, [props.channels.length]);
  const { error: listError, act } = useConfirmedAction(reload);
  const nameOf = {
    channel: (id: number) => props.channels.find((c) => c.id === id)?.name ?? `#${id}`,
    job: (id: number | null) => data?.jobs.find((j) => j.id === id)?.name ?? `#${id}`,
    repository: (id: number | null) => data?.repositories.find((r) => r.id === id)?.name ?? `#${id}`,
  };
  const scopeText = (r: Rule) => (r.scope === 'global' ? 'every run' : r.scope === 'job' ? `job ${nameOf.job(r.jobId)}` : `repository ${nameOf.repository(r.repositoryId)}`);
  const remove = (r: Rule) => act(`Delete the rule sending ${r.events.join(', ')} to ${nameOf.channel(r.channelId)}?`, () => ok(api.DELETE('/v1/notification-rules/{id}', { params: { path: { id: r.id } } })));
  return (
    <>
      <h2>Rules</h2>
      {(error ?? listError) && <p class="form-error">{error ?? listError}</p>}
      <table class="rules">
        <thead>
          <tr>
            <th>Id</th>
            <th>Channel</th>
            <th>Events</th>
            <th>Of</th>
            <th>Created</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {data?.rules.map((r) => (
            <tr key={r.id} data-rule={r.id} data-rule-channel={nameOf.channel(r.channelId)}>
              <td>{r.id}</td>
              <td>{nameOf.channel(r.channelId)}</td>
              <td>{r.events.join(', ')}</td>
              <td>{scopeText(r)}</td>
              <td>
                <Ago at={r.createdAt} />
              </td>
              <td>
                <button class="danger" onClick={() => void remove(r)}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && props.channels.length > 0 && <CreateRule channels={props.channels} jobs={data.jobs} repositories={data.repositories} onCreated={reload} />}
    </>
  );
}

function CreateRule(props: { channels: Array<Schemas['NotificationChannel']>; jobs: Array<Schemas['Job']>; repositories: Array<Schemas['Repository']>; onCreated: () => void }) {
  const [channelId, setChannelId] = useState(props.channels[0]!.id);
  const [events, setEvents] = useState<RuleEvent[]>([]);
  const [scope, setScope] = useState<Scope>('global');
  const [jobId, setJobId] = useState(props.jobs[0]?.id);
  const [repositoryId, setRepositoryId] = useState(props.repositories[0]?.id);
  const [errors, setErrors] = useState(NO_ERRORS);
  const toggle = (e: RuleEvent, on: boolean) => setEvents(on ? EVENTS.filter((x) => x === e || events.includes(x)) : events.filter((x) => x !== e));
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setErrors(NO_ERRORS);
    const body: Schemas['NotificationRuleWrite'] = { channelId, events, scope };
    if (scope === 'job' && jobId !== undefined) body.jobId = jobId;
    if (scope === 'repository' && repositoryId !== undefined) body.repositoryId = repositoryId;
    try {
      await ok(api.POST('/v1/notification-rules', { body }));
      setEvents([]);
      props.onCreated();
    } catch (err) {
      setErrors(errorsOf(err));
    }
  };
  return (
    <form class="card" data-form="create-rule" onSubmit={(e) => void submit(e)}>
      <h2>New rule</h2>
      <Field name="channelId" label="Channel" errors={errors}>
        <select name="channelId" value={channelId} onChange={(e) => setChannelId(Number(e.currentTarget.value))}>
          {props.channels.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </Field>
      <Field name="events" label="Events" errors={errors} group>
        <span class="choices">
          {EVENTS.map((e) => (
            <label key={e}>
              <input type="checkbox" name="events" value={e} checked={events.includes(e)} onChange={(x) => toggle(e, x.currentTarget.checked)} /> {e}
            </label>
          ))}
        </span>
      </Field>
      <Field name="scope" label="Of" errors={errors}>
        <select name="scope" value={scope} onChange={(e) => setScope(e.currentTarget.value as Scope)}>
          <option value="global">every run</option>
          <option value="job">one job's runs</option>
          <option value="repository">one repository's runs</option>
        </select>
      </Field>
      {scope === 'job' && (
        <Field name="jobId" label="Job" errors={errors}>
          <select name="jobId" value={jobId} onChange={(e) => setJobId(Number(e.currentTarget.value))}>
            {props.jobs.map((j) => (
              <option key={j.id} value={j.id}>
                {j.name}
              </option>
            ))}
          </select>
        </Field>
      )}
      {scope === 'repository' && (
        <Field name="repositoryId" label="Repository" errors={errors} hint="A job's backups count as runs of its repository.">
          <select name="repositoryId" value={repositoryId} onChange={(e) => setRepositoryId(Number(e.currentTarget.value))}>
            {props.repositories.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
          </select>
        </Field>
      )}
      <GeneralError errors={errors} />
      <button type="submit">Create rule</button>
    </form>
  );
}
