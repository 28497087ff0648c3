// Agents and their enrollment: a bootstrap token is shown once, right after it is made; the
// tokens are listed (never the token itself) and revoked; an agent is revoked (its
// certificates and tokens refused from its next request on).
import { useState } from 'preact/hooks';
import { api, ok } from '../api';
import { errorsOf, Field, GeneralError, NO_ERRORS } from '../forms';
import { useConfirmedAction, useLoad } from '../hooks';
import { Ago } from '../ui';

export function Agents() {
  const { data, error, reload } = useLoad(async () => {
    const [agents, tokens] = await Promise.all([ok(api.GET('/v1/agents')), ok(api.GET('/v1/agent-tokens'))]);
    return { items: agents.items, tokens: tokens.items };
  }, [], 5_000);
  const [agentName, setAgentName] = useState('');
  const [errors, setErrors] = useState(NO_ERRORS);
  const [issued, setIssued] = useState<string | null>(null);
  const { error: actionError, act } = useConfirmedAction(reload);
  const submit = async (e: Event) => {
    e.preventDefault();
    setErrors(NO_ERRORS);
    try {
      const t = await ok(api.POST('/v1/agent-tokens', { body: agentName ? { agentName } : {} }));
      setIssued(t.token);
      setAgentName('');
      reload();
    } catch (err) {
      setErrors(errorsOf(err));
    }
  };
  const revoke = (what: string, call: () => Promise<unknown>) => act(`Revoke ${what}? This cannot be undone.`, call);
  return (
    <section>
      <h1>Agents</h1>
      {(error ?? actionError) && <p class="form-error">{error ?? actionError}</p>}
      <table class="agents">
        <thead>
          <tr>
            <th>Name</th>
            <th>Status</th>
            <th>Host</th>
            <th>Version</th>
            <th>Last seen</th>
            <th />
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
              <td>
                {a.status !== 'revoked' && (
                  <button class="danger" onClick={() => void revoke(`agent ${a.name}`, () => ok(api.POST('/v1/agents/{name}/revoke', { params: { path: { name: a.name } } })))}>
                    Revoke
                  </button>
                )}
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
      <h2>Enrollment tokens</h2>
      <table class="agent-tokens">
        <thead>
          <tr>
            <th>Id</th>
            <th>For agent</th>
            <th>Uses</th>
            <th>Expires</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {data?.tokens.map((t) => (
            <tr key={t.id} data-token-id={t.id}>
              <td>{t.id}</td>
              <td>{t.agentName ?? 'any'}</td>
              <td>
                {t.uses} / {t.maxUses}
              </td>
              <td>
                <Ago at={t.expiresAt} />
              </td>
              <td class="state">{t.revokedAt ? 'revoked' : 'usable'}</td>
              <td>
                {!t.revokedAt && (
                  <button class="danger" onClick={() => void revoke(`enrollment token ${t.id}`, () => ok(api.POST('/v1/agent-tokens/{id}/revoke', { params: { path: { id: t.id } } })))}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
