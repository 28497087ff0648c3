// Settings shared by the database plugins: where the server is, who connects, which
// databases, and whether dumps go to a directory the backup includes or stream straight
// into the repository.
import { InputError } from '../../../../contract/errors';
import { absolutePath, oneOf, onlyFields, optionalInteger, optionalString, optionalStringList, settingsObject, type RawSettings } from '../config-fields';
import { checkDatabaseName } from './identifiers';

export type DumpMode = 'stream' | 'directory';

export interface DbConfig {
  host?: string;
  port?: number;
  user?: string;
  /** Secret. */
  password?: string;
  /** None: every database of the server (PostgreSQL: non-template ones; MySQL: not the system schemas). */
  databases?: string[];
  mode: DumpMode;
}

const HOST = /^[A-Za-z0-9._:-]{1,253}$/;

export function parseDbConfig(raw: unknown, plugin: string, extra: readonly string[]): { config: DbConfig; raw: RawSettings } {
  const s = settingsObject(raw, plugin);
  onlyFields(s, plugin, ['host', 'port', 'user', 'password', 'databases', 'mode', ...extra]);
  const host = optionalString(s, plugin, 'host');
  // A host starting with / is a socket directory (PostgreSQL).
  // A host starting with / is a socket directory.
  if (host !== undefined && !(host.startsWith('/') ? absolutePath(s, plugin, 'host', false) : HOST.test(host))) throw new InputError(`${plugin}: "host" must be a host name, an address or a socket directory`);
  const databases = optionalStringList(s, plugin, 'databases');
  databases?.forEach((d) => checkDatabaseName(d, `${plugin}: database`));
  const port = optionalInteger(s, plugin, 'port', 1, 65_535);
  const user = optionalString(s, plugin, 'user');
  const password = s.password === undefined ? undefined : typeof s.password === 'string' ? s.password : undefined;
  if (s.password !== undefined && password === undefined) throw new InputError(`${plugin}: "password" must be a string`);
  return {
    config: {
      ...(host ? { host } : {}),
      ...(port ? { port } : {}),
      ...(user ? { user } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(databases && databases.length > 0 ? { databases } : {}),
      mode: oneOf(s, plugin, 'mode', ['stream', 'directory'] as const, 'stream'),
    },
    raw: s,
  };
}
