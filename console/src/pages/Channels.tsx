// Notification channels: list, create (kind, settings, secrets), edit (secrets never shown:
// PATCH names only those that change), send a test, delete; and the rules that route events
// to them (Rules.tsx).
import { useState } from 'preact/hooks';
import { api, ok, type Schemas } from '../api';
import { errorsOf } from '../forms';
import { useLoad } from '../hooks';
import { SettingsForm, type FreeFormSettings } from '../settings-form';
import { Ago } from '../ui';
import { Rules } from './Rules';

const KINDS: ReadonlyArray<Schemas['NotificationChannelKind']> = ['email', 'webhook', 'slack', 'mattermost', 'discord', 'ntfy', 'gotify', 'healthchecks'];

export function Channels() {
  const { data, error, reload } = useLoad(() => ok(api.GET('/v1/notification-channels')), []);
  const [message, setMessage] = useState<string | null>(null);
  const [editing, setEditing] = useState<Schemas['NotificationChannel'] | null>(null);
  const act = async (what: 'test' | 'delete', c: Schemas['NotificationChannel']) => {
    setMessage(null);
    try {
      if (what === 'delete') {
        if (!window.confirm(`Delete channel ${c.name}?`)) return;
        await ok(api.DELETE('/v1/notification-channels/{id}', { params: { path: { id: c.id } } }));
        reload();
      } else {
        await ok(api.POST('/v1/notification-channels/{id}/test', { params: { path: { id: c.id } } }));
        setMessage(`test sent through ${c.name}`);
      }
    } catch (e) {
      setMessage(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <section>
      <h1>Notification channels</h1>
      {(error ?? message) && <p class={error ? 'form-error' : 'notice'}>{error ?? message}</p>}
      <table class="channels">
        <thead>
          <tr>
            <th>Name</th>
            <th>Kind</th>
            <th>Settings</th>
            <th>Secrets set</th>
            <th>Updated</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {data?.items.map((c) => (
            <tr key={c.id} data-channel={c.name}>
              <td>{c.name}</td>
              <td>{c.kind}</td>
              <td>
                <code>{JSON.stringify(c.settings)}</code>
              </td>
              <td>{c.secretFields.join(', ')}</td>
              <td>
                <Ago at={c.updatedAt} />
              </td>
              <td>
                <button onClick={() => void act('test', c)}>Test</button> <button onClick={() => setEditing(c)}>Edit</button>{' '}
                <button class="danger" onClick={() => void act('delete', c)}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {editing ? (
        <SettingsForm
          key={editing.id}
          title={`Edit channel ${editing.name}`}
          kindLabel="Kind"
          kinds={KINDS}
          formName="edit-channel"
          submitLabel="Save channel"
          stored={editing}
          secretsHint='{"token": "new"} replaces one, {"token": null} removes it; the others stay sealed as they are.'
          onCancel={() => setEditing(null)}
          onSubmit={async (w) => {
            const body: Schemas['NotificationChannelPatch'] = { settings: w.settings as FreeFormSettings };
            if (w.name !== editing.name) body.name = w.name;
            if (w.secrets) body.secrets = w.secrets;
            try {
              await ok(api.PATCH('/v1/notification-channels/{id}', { params: { path: { id: editing.id } }, body }));
              setEditing(null);
              reload();
              return null;
            } catch (err) {
              return errorsOf(err);
            }
          }}
        />
      ) : (
        <SettingsForm
          title="New channel"
          kindLabel="Kind"
          kinds={KINDS}
          formName="create-channel"
          submitLabel="Create channel"
          onSubmit={async (w) => {
            try {
              await ok(api.POST('/v1/notification-channels', { body: { name: w.name, kind: w.kind as Schemas['NotificationChannelKind'], settings: w.settings as FreeFormSettings, ...(w.secrets ? { secrets: w.secrets as Record<string, string> } : {}) } }));
              reload();
              return null;
            } catch (err) {
              return errorsOf(err);
            }
          }}
        />
      )}
      <Rules channels={data?.items ?? []} />
    </section>
  );
}
