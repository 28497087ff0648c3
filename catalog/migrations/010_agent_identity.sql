-- Agent identity: one-time bootstrap tokens, the internal CA that signs agents' client
-- certificates, the certificates issued, and what agents report about themselves.

CREATE TABLE agent_bootstrap_tokens (
  id           bigserial PRIMARY KEY,
  -- sha256 of the token, like api_tokens; the token itself is shown once.
  token_hash   text NOT NULL UNIQUE,
  description  text,
  -- When set, only this agent name may enroll with the token.
  agent_name   text CHECK (agent_name IS NULL OR agent_name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
  max_uses     integer NOT NULL CHECK (max_uses > 0),
  uses         integer NOT NULL DEFAULT 0 CHECK (uses >= 0),
  expires_at   timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz
);

-- One row: the CA that signs agent certificates and the API's TLS certificate.
CREATE TABLE internal_ca (
  id          smallint PRIMARY KEY CHECK (id = 1),
  cert_pem    text NOT NULL,
  -- PKCS#8 PEM sealed with the master key, bound to 'internal-ca:1'; never plaintext.
  key_sealed  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agent_certificates (
  id           bigserial PRIMARY KEY,
  agent_id     bigint NOT NULL REFERENCES agents(id),
  serial       text NOT NULL UNIQUE,
  -- sha256 of the DER certificate, hex: what the API looks up on every mTLS request.
  fingerprint  text NOT NULL UNIQUE,
  not_before   timestamptz NOT NULL,
  not_after    timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz
);
CREATE INDEX agent_certificates_agent ON agent_certificates (agent_id);

ALTER TABLE agents
  ADD COLUMN os                     text,
  ADD COLUMN capabilities           jsonb,
  ADD COLUMN heartbeat_interval_ms  integer CHECK (heartbeat_interval_ms IS NULL OR heartbeat_interval_ms > 0),
  ADD COLUMN revoked_at             timestamptz;
