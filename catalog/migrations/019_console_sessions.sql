-- Console sessions (issue 20): an operator signs in to the web console with an admin API
-- token and gets an HttpOnly cookie naming a session. Only the session id's sha256 is
-- stored, as for tokens; the session is as good as its token: revoking the token ends it.
CREATE TABLE console_sessions (
  session_hash text PRIMARY KEY,
  token_id     bigint NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
  -- Sent back by the console in X-CSRF-Token on every state-changing request: a page of
  -- another site can make the browser send the cookie, never read this value.
  csrf_token   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL
);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
