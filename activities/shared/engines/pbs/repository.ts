// PBS repository strings as data: `[[user@realm[!token]@]server[:port]:]datastore`, the
// notation of the proxmox-backup-client manual ("Repository Locations"). Backstop always
// names the server (an agent's localhost is not where PBS runs); the user defaults to
// root@pam as in the client. Pure: no Node imports beyond types.
import { InputError } from '../../../../contract/errors';

export interface PbsRepository {
  /** `user@realm`, or `user@realm!token` for an API token (whose secret is the password). */
  authId: string;
  user: string;
  realm: string;
  /** API token name, when the repository names one. */
  token: string | null;
  /** Host name or address; IPv6 in brackets, as the client wants it. */
  host: string;
  /** Null: the client's default, 8007. */
  port: number | null;
  datastore: string;
}

// PBS's SAFE_ID (datastore, realm and token names): starts with a letter, digit or `_`.
const SAFE_ID = '[A-Za-z0-9_][A-Za-z0-9._-]*';
const REPOSITORY = new RegExp(
  `^(?:(?<user>[^@!:\\s/]+)@(?<realm>${SAFE_ID})(?:!(?<token>${SAFE_ID}))?@)?` +
    `(?<host>\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)` +
    `(?::(?<port>\\d{1,5}))?:(?<store>${SAFE_ID})$`,
);

const EXAMPLE = 'backup@pbs!backstop@pbs.example.com:store1 (user@realm!token@host[:port]:datastore)';

/** Parses a PBS repository string; InputError saying what is wrong otherwise. */
export function parsePbsRepository(url: string): PbsRepository {
  const text = url.trim();
  const m = REPOSITORY.exec(text);
  if (!m?.groups) {
    const why = text === '' ? 'it is empty' : !text.includes(':') ? 'it names no server: write host:datastore' : 'it does not match the PBS repository notation';
    throw new InputError(`invalid PBS repository "${url}": ${why}; expected e.g. ${EXAMPLE}`);
  }
  const g = m.groups;
  const port = g.port === undefined ? null : Number(g.port);
  if (port !== null && (port < 1 || port > 65535)) throw new InputError(`invalid PBS repository "${url}": port ${g.port} is out of range`);
  const user = g.user ?? 'root';
  const realm = g.realm ?? 'pam';
  const token = g.token ?? null;
  return {
    authId: `${user}@${realm}${token ? `!${token}` : ''}`,
    user,
    realm,
    token,
    host: g.host!,
    port,
    datastore: g.store!,
  };
}

/** True when `url` is a PBS repository string (and so not a restic path or URL). */
export function isPbsRepository(url: string): boolean {
  try {
    parsePbsRepository(url);
    return true;
  } catch {
    return false;
  }
}

/** The canonical string of a parsed repository (what PBS_REPOSITORY carries). */
export function formatPbsRepository(r: PbsRepository): string {
  return `${r.authId}@${r.host}${r.port === null ? '' : `:${r.port}`}:${r.datastore}`;
}

/** Namespaces: up to 7 levels of SAFE_ID names separated by `/` (empty: the root namespace). */
const NAMESPACE = new RegExp(`^${SAFE_ID}(?:/${SAFE_ID}){0,6}$`);

export function checkNamespace(ns: string | undefined): string | null {
  if (ns === undefined || ns === '') return null;
  if (!NAMESPACE.test(ns)) throw new InputError(`invalid PBS namespace "${ns}": up to 7 names of letters, digits, . _ - separated by /`);
  return ns;
}

/** The SHA-256 fingerprint of the server certificate, as PBS prints it (32 hex pairs joined by `:`). */
export function checkFingerprint(fp: string): string {
  if (!/^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){31}$/.test(fp.trim())) {
    throw new InputError('invalid PBS fingerprint: expected the SHA-256 of the server certificate as 32 hex pairs separated by ":"');
  }
  return fp.trim().toLowerCase();
}
