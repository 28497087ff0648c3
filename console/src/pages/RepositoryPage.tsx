// One repository: what it is, and its prune and S3-sync schedules (the schedule form shared
// with the job page).
import { api, ok, type Schemas } from '../api';
import { useLoad } from '../hooks';
import { href } from '../router';
import { ScheduleForm, type ScheduleActions } from '../schedule-form';
import { Ago, formatBytes } from '../ui';

type Kind = 'prune' | 's3-sync';

/** A 404 is "none" (no schedule, no sync target); anything else is an error. */
async function orNone<T>(pending: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T | null> {
  const r = await pending;
  return r.response.status === 404 ? null : ok(Promise.resolve(r));
}

export function RepositoryPage(props: { repositoryId: number }) {
  const id = props.repositoryId;
  const path = { params: { path: { id } } };
  const { data, error, reload } = useLoad(
    async () => {
      const [repository, prune, s3Sync, target] = await Promise.all([
        ok(api.GET('/v1/repositories/{id}', path)),
        orNone(api.GET('/v1/repositories/{id}/schedules/{kind}', { params: { path: { id, kind: 'prune' } } })),
        orNone(api.GET('/v1/repositories/{id}/schedules/{kind}', { params: { path: { id, kind: 's3-sync' } } })),
        orNone(api.GET('/v1/repositories/{id}/s3-sync', path)),
      ]);
      return { repository, prune, s3Sync, target };
    },
    [id],
  );
  if (!data) return <p class={error ? 'form-error' : 'muted'}>{error ?? 'Loading…'}</p>;
  const { repository: r, target } = data;
  return (
    <section data-repository-page={r.name}>
      <h1>Repository {r.name}</h1>
      <dl class="facts">
        <dt>Engine</dt>
        <dd>{r.engine}</dd>
        <dt>Location</dt>
        <dd>
          <code>{r.url}</code>
        </dd>
        <dt>Snapshots</dt>
        <dd>{r.usage ? `${r.usage.snapshots}, ${formatBytes(r.usage.addedBytes)} added` : '—'}</dd>
        <dt>S3 sync target</dt>
        <dd>{target ? `${target.endpoint}/${target.bucket}${target.prefix ? `/${target.prefix}` : ''}` : 'none'}</dd>
        <dt>Created</dt>
        <dd>
          <Ago at={r.createdAt} />
        </dd>
      </dl>
      <p>
        <a href={href('runs', { repositoryId: r.id })}>runs</a>
      </p>
      <RepositorySchedule repository={r} kind="prune" schedule={data.prune} onChange={reload} />
      <RepositorySchedule
        repository={r}
        kind="s3-sync"
        schedule={data.s3Sync}
        onChange={reload}
        hint={target ? undefined : `No S3 sync target yet: set one first (backstop repos s3-sync-set ${r.id} …).`}
      />
    </section>
  );
}

const TITLES = { prune: 'Prune schedule', 's3-sync': 'S3 sync schedule' } as const satisfies Record<Kind, string>;
const NONE = {
  prune: 'No prune schedule: the repository is pruned only when asked.',
  's3-sync': 'No S3 sync schedule: the repository is synced only when asked.',
} as const satisfies Record<Kind, string>;

function RepositorySchedule(props: { repository: Schemas['Repository']; kind: Kind; schedule: Schemas['Schedule'] | null; hint?: string; onChange: () => void }) {
  const path = { params: { path: { id: props.repository.id, kind: props.kind } } };
  const actions: ScheduleActions = {
    set: (body) => ok(api.PUT('/v1/repositories/{id}/schedules/{kind}', { ...path, body })),
    pause: (note) => ok(api.POST('/v1/repositories/{id}/schedules/{kind}/pause', { ...path, body: note ? { note } : {} })),
    resume: (note) => ok(api.POST('/v1/repositories/{id}/schedules/{kind}/resume', { ...path, body: note ? { note } : {} })),
    trigger: () => ok(api.POST('/v1/repositories/{id}/schedules/{kind}/trigger', path)),
    remove: () => ok(api.DELETE('/v1/repositories/{id}/schedules/{kind}', path)),
  };
  return (
    <ScheduleForm
      title={TITLES[props.kind]}
      formName={`schedule-${props.kind}`}
      schedule={props.schedule}
      none={NONE[props.kind]}
      hint={props.hint}
      actions={actions}
      onChange={props.onChange}
    />
  );
}
