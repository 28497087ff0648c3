// Plugin configurations (database dumps and the like), per agent: list, create, edit (PUT;
// secrets never shown, kept unless given anew), test, delete.
import { useState } from 'preact/hooks';
import { api, ok, type Schemas } from '../api';
import { errorsOf } from '../forms';
import { useLoad } from '../hooks';
import { navigate, type Route } from '../router';
import { SettingsForm, type FreeFormSettings } from '../settings-form';
import { Ago } from '../ui';

export function Plugins(props: { route: Route }) {
  const { data: agents } = useLoad(() => ok(api.GET('/v1/agents')), []);
  const agent = props.route.query.get('agent') ?? agents?.items[0]?.name ?? '';
  const { data, error, reload } = useLoad(() => (agent ? ok(api.GET('/v1/agents/{name}/plugin-configs', { params: { path: { name: agent } } })) : Promise.resolve({ items: [] })), [agent]);
  const [message, setMessage] = useState<string | null>(null);
  const [editing, setEditing] = useState<Schemas['PluginConfig'] | null>(null);
  const act = async (what: 'test' | 'delete', c: Schemas['PluginConfig']) => {
    setMessage(null);
    try {
      const path = { params: { path: { name: agent, id: c.id } } };
      if (what === 'delete') {
        if (!window.confirm(`Delete plugin configuration ${c.name}?`)) return;
        await ok(api.DELETE('/v1/agents/{name}/plugin-configs/{id}', path));
        reload();
      } else {
        const run = await ok(api.POST('/v1/agents/{name}/plugin-configs/{id}/test', path));
        navigate(`runs/${run.runId}`);
      }
    } catch (e) {
      setMessage(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <section>
      <h1>Plugins</h1>
      <select name="agent" value={agent} onChange={(e) => navigate('plugins', { agent: e.currentTarget.value })}>
        {agents?.items.map((a) => (
          <option key={a.name}>{a.name}</option>
        ))}
      </select>
      {(error ?? message) && <p class="form-error">{error ?? message}</p>}
      <table class="plugins">
        <thead>
          <tr>
            <th>Id</th>
            <th>Name</th>
            <th>Plugin</th>
            <th>Settings</th>
            <th>Secrets set</th>
            <th>Updated</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {data?.items.map((c) => (
            <tr key={c.id} data-plugin-config={c.name}>
              <td>{c.id}</td>
              <td>{c.name}</td>
              <td>{c.plugin}</td>
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
      {agent && editing && editing.agent === agent && (
        <SettingsForm
          key={editing.id}
          title={`Edit plugin configuration ${editing.name} on ${agent}`}
          kindLabel="Plugin"
          formName="edit-plugin-config"
          submitLabel="Save configuration"
          stored={{ ...editing, kind: editing.plugin }}
          secretsHint="A JSON object replaces every sealed secret of this configuration."
          onCancel={() => setEditing(null)}
          onSubmit={async (w) => {
            try {
              const body: Schemas['PluginConfigWrite'] = { name: w.name, plugin: editing.plugin, settings: w.settings as FreeFormSettings, ...(w.secrets ? { secrets: w.secrets as Record<string, string> } : {}) };
              await ok(api.PUT('/v1/agents/{name}/plugin-configs/{id}', { params: { path: { name: agent, id: editing.id } }, body }));
              setEditing(null);
              reload();
              return null;
            } catch (err) {
              return errorsOf(err);
            }
          }}
        />
      )}
      {agent && !(editing && editing.agent === agent) && (
        <SettingsForm
          title={`New plugin configuration on ${agent}`}
          kindLabel="Plugin"
          formName="create-plugin-config"
          submitLabel="Create configuration"
          onSubmit={async (w) => {
            try {
              await ok(api.POST('/v1/agents/{name}/plugin-configs', { params: { path: { name: agent } }, body: { name: w.name, plugin: w.kind, settings: w.settings as FreeFormSettings, ...(w.secrets ? { secrets: w.secrets as Record<string, string> } : {}) } }));
              reload();
              return null;
            } catch (err) {
              return errorsOf(err);
            }
          }}
        />
      )}
    </section>
  );
}
