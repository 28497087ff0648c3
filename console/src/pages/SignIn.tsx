import { useState } from 'preact/hooks';
import { api, ok, setCsrfToken, type Schemas } from '../api';
import { errorsOf, Field, GeneralError, NO_ERRORS } from '../forms';

/** The token is sent once, in the sign-in body; the browser keeps only the HttpOnly cookie. */
export function SignIn(props: { onSignedIn: (s: Schemas['ConsoleSession']) => void }) {
  const [token, setToken] = useState('');
  const [errors, setErrors] = useState(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const s = await ok(api.POST('/v1/session', { body: { token } }));
      setCsrfToken(s.csrfToken);
      setToken('');
      props.onSignedIn(s);
    } catch (err) {
      setErrors(errorsOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <h1>Backstop</h1>
      <form onSubmit={submit} class="card">
        <Field name="token" label="API token" errors={errors} hint="An admin token, e.g. the one in data/admin.token">
          <input name="token" type="password" autoComplete="off" value={token} onInput={(e) => setToken(e.currentTarget.value)} required />
        </Field>
        <GeneralError errors={errors} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
