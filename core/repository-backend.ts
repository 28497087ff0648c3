// What a repository needs beside its location and password, by engine (issue 14): the
// options the catalog keeps in the clear, the secrets it keeps sealed, and how both become
// the RepositoryAccess an engine is handed. Pure: the API, the server worker and agents
// (through the API) all build access the same way.
import { InputError } from '../contract/errors';
import type { EngineKind, RepositoryAccess } from '../contract/engine';

/** Not secret; stored as JSON in `repositories.options`. */
export interface RepositoryOptions {
  /** borg: the server serves the repository append-only; prune is refused. */
  appendOnly?: boolean;
  /** borg over ssh://: known_hosts lines of the server. */
  knownHosts?: string;
  /** pbs: the server certificate's fingerprint and the namespace inside the datastore. */
  pbs?: { fingerprint: string; namespace?: string };
}

/** Secret; sealed as JSON in `repositories.backend_sealed` under {@link repositoryBackendContext}. */
export interface RepositoryBackendSecrets {
  sshPrivateKey?: string;
  pbsEncryptionKey?: string;
  pbsEncryptionPassword?: string;
}

export const repositoryBackendContext = (repositoryId: number): string => `repository-backend:${repositoryId}`;

export function serializeBackendSecrets(s: RepositoryBackendSecrets): string {
  return JSON.stringify(s);
}

export function parseBackendSecrets(json: string): RepositoryBackendSecrets {
  const v = JSON.parse(json) as Record<string, unknown>;
  const out: RepositoryBackendSecrets = {};
  for (const k of ['sshPrivateKey', 'pbsEncryptionKey', 'pbsEncryptionPassword'] as const) if (typeof v[k] === 'string') out[k] = v[k];
  return out;
}

/**
 * Every secret string in `s`, for redaction of log lines. Keys span lines and a log line holds
 * at most one of them, so each line of a multi-line secret counts too (but not its armour).
 */
export function backendSecretValues(s: RepositoryBackendSecrets): string[] {
  const values = [s.sshPrivateKey, s.pbsEncryptionKey, s.pbsEncryptionPassword].filter((v): v is string => typeof v === 'string' && v.length > 0);
  const lines = values.flatMap((v) => (v.includes('\n') ? v.split('\n').map((l) => l.trim()) : [])).filter((l) => l.length >= 16 && !l.startsWith('-----'));
  return [...values, ...lines];
}

export function parseRepositoryOptions(v: unknown): RepositoryOptions {
  const o = (v && typeof v === 'object' ? v : {}) as Record<string, unknown>;
  const out: RepositoryOptions = {};
  if (o.appendOnly === true) out.appendOnly = true;
  if (typeof o.knownHosts === 'string') out.knownHosts = o.knownHosts;
  const p = o.pbs as Record<string, unknown> | undefined;
  if (p && typeof p.fingerprint === 'string') out.pbs = { fingerprint: p.fingerprint, ...(typeof p.namespace === 'string' ? { namespace: p.namespace } : {}) };
  return out;
}

/** The access an engine is handed: location, password, backend environment, and the engine's own extras. */
export function repositoryAccess(
  repo: { url: string; engine: EngineKind },
  password: string,
  env: Record<string, string> | undefined,
  options: RepositoryOptions,
  secrets: RepositoryBackendSecrets,
): RepositoryAccess {
  const access: RepositoryAccess = { engine: repo.engine, url: repo.url, password, ...(env && Object.keys(env).length > 0 ? { env } : {}) };
  if (repo.engine === 'borg') {
    if (options.appendOnly) access.appendOnly = true;
    if (secrets.sshPrivateKey) access.ssh = { privateKey: secrets.sshPrivateKey, knownHosts: options.knownHosts ?? '' };
  }
  if (repo.engine === 'pbs' && options.pbs) {
    access.pbs = {
      fingerprint: options.pbs.fingerprint,
      ...(options.pbs.namespace ? { namespace: options.pbs.namespace } : {}),
      ...(secrets.pbsEncryptionKey ? { encryptionKey: secrets.pbsEncryptionKey } : {}),
      ...(secrets.pbsEncryptionPassword ? { encryptionPassword: secrets.pbsEncryptionPassword } : {}),
    };
  }
  return access;
}

/** What an engine's repository location must look like; borg over SSH and PBS need their extras. */
export interface RepositoryEngineRequest {
  engine: EngineKind;
  url: string;
  s3?: unknown;
  appendOnly?: boolean;
  ssh?: { privateKey: string; knownHosts: string };
  pbs?: { fingerprint: string; namespace?: string; encryptionKey?: string; encryptionPassword?: string };
}

/** `user@realm!token@host[:port]:datastore` or `user@realm@host[:port]:datastore`. */
const PBS_REPOSITORY = /^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+(![A-Za-z0-9._-]+)?@(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?:[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * Refuses a request whose location or extras do not fit its engine, with a reason an operator
 * can act on. Local paths are checked elsewhere (api/repository-location.ts).
 */
export function checkRepositoryEngineRequest(b: RepositoryEngineRequest): void {
  const local = b.url.startsWith('/');
  if (b.engine !== 'restic' && b.s3) throw new InputError(`s3 keys are for restic repositories on S3; ${b.engine} cannot use them`);
  if (b.engine !== 'borg' && b.appendOnly) throw new InputError('appendOnly is for borg repositories (served by borg serve --append-only)');
  if (b.engine !== 'borg' && b.ssh) throw new InputError('ssh is for borg repositories on ssh:// URLs');
  if (b.engine !== 'pbs' && b.pbs) throw new InputError('pbs settings are for pbs repositories');
  switch (b.engine) {
    case 'restic':
      if (!local && !b.url.startsWith('s3:')) throw new InputError('a restic repository is a local path or an s3: URL');
      return;
    case 'borg':
      if (local) {
        if (b.ssh) throw new InputError('ssh is for borg repositories on ssh:// URLs, not local paths');
        return;
      }
      // The URL's own shape is parseSshUrl's to check (activities/shared/engines/borg/ssh.ts).
      if (!b.url.startsWith('ssh://')) throw new InputError('a borg repository is a local path or ssh://user@host[:port]/path');
      if (!b.ssh) throw new InputError('a borg repository on ssh:// needs ssh.privateKey and ssh.knownHosts (host keys are always checked)');
      if (b.ssh.knownHosts.trim() === '') throw new InputError('ssh.knownHosts must list the server\'s host keys');
      return;
    case 'pbs':
      if (!PBS_REPOSITORY.test(b.url)) throw new InputError('a pbs repository is user@realm!token@host[:port]:datastore (or user@realm@host:datastore)');
      if (!b.pbs) throw new InputError('a pbs repository needs pbs.fingerprint (the server certificate\'s SHA-256 fingerprint)');
      return;
  }
}
