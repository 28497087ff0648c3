// Every column of the catalog that holds a value sealed with the master key, in one table:
// the master-key rotation re-seals exactly these, and an integration test fails when the
// migrated schema has a `*_sealed` column this list does not name. A new kind of secret is
// one line here (the label must be the context its writer seals with).
import { repositoryBackendContext } from '../core/repository-backend';
import { repositoryS3Context, repositorySyncContext } from '../core/s3';
import { CA_CONTEXT } from './identity';
import { pluginConfigSecretContext } from './plugin-configs';
import { channelSecretContext } from './notifications';

export interface SealedColumn {
  table: string;
  /** The row's key; the label is derived from it. */
  idColumn: string;
  column: string;
  /** The associated data the value is bound to (SecretBox's context), from the row's key. */
  label: (id: string) => string;
}

export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'repositories', idColumn: 'id', column: 'password_sealed', label: (id) => `repository:${id}` },
  { table: 'repositories', idColumn: 'id', column: 's3_sealed', label: (id) => repositoryS3Context(Number(id)) },
  { table: 'repositories', idColumn: 'id', column: 'backend_sealed', label: (id) => repositoryBackendContext(Number(id)) },
  { table: 'repository_sync_targets', idColumn: 'repository_id', column: 'credentials_sealed', label: (id) => repositorySyncContext(Number(id)) },
  { table: 'plugin_configs', idColumn: 'id', column: 'secrets_sealed', label: (id) => pluginConfigSecretContext(Number(id)) },
  { table: 'internal_ca', idColumn: 'id', column: 'key_sealed', label: () => CA_CONTEXT },
  { table: 'notification_channels', idColumn: 'id', column: 'secrets_sealed', label: (id) => channelSecretContext(Number(id)) },
];

/** `table.column`, how reports and errors name a sealed column (never its value). */
export const sealedColumnName = (c: Pick<SealedColumn, 'table' | 'column'>): string => `${c.table}.${c.column}`;
