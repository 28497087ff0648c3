// Agents and their enrollment: a bootstrap token is shown once, right after it is made.
import { useState } from 'preact/hooks';
import { api, ok } from '../api';
import { errorsOf, Field, GeneralError, NO_ERRORS } from '../forms';
import { useLoad } from '../hooks';
import { Ago } from '../ui';

export function Agents() {
  const { data, error } = useLoad(() => ok(api.GET('/v1/agents')), [], 5_000);
  const [agentName, setAgentName] = useState('');
  const [errors, setErrors] = useState(NO_ERRORS);
  const [issued, setIssued] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setErrors(NO_ERRORS);
    try {
      const t = await ok(api.POST('/v1/agent-tokens', { body: agentName ? { agentName } : {} }));
      setIssued(t.token);
      setAgentName('');
    } catch (err) {
      setErrors(errorsOf(err));
    }
  };
  return (
    <section>
      <h1>Agents</h1>
      {error && <p class="form-error">{error}</p>}
      <table class="agents">
        <thead>
          <tr>
            <th>Name</th>
            <th>Status</th>
            <th>Host</th>
            <th>Version</th>
            <th>Last seen</th>
          </tr>
        </thead>
        <tbody>
          {data?.items.map((a) => (
            <tr key={a.name} data-agent={a.name}>
              <td>{a.name}</td>
              <td class={a.status === 'reachable' ? 'good' : 'bad'}>{a.status}</td>
              <td>{a.hostname}</td>
              <td>{a.version}</td>
              <td>
                <Ago at={a.lastSeenAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="card" onSubmit={submit}>
        <h2>Enroll an agent</h2>
        <Field name="agentName" label="Only for agent (optional)" errors={errors}>
          <input name="agentName" value={agentName} onInput={(e) => setAgentName(e.currentTarget.value)} />
        </Field>
        <GeneralError errors={errors} />
        <button type="submit">Create enrollment token</button>
        {issued && (
          <p class="notice" data-token-once>
            Copy it now, it is not shown again: <code>{issued}</code>
          </p>
        )}
      </form>
    </section>
  );
}
