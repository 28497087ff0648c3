// `backstop admin …`: operator commands that work on the catalog directly rather than
// through the API, for what the API cannot do while it depends on the catalog or the key
// itself: rotating the master key, rebuilding a lost catalog from the repositories, and
// moving the catalog (export / import). They reach the catalog at DATABASE_URL, else the
// embedded stack's PostgreSQL socket under the data directory (`backstop up` running).
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { InputError } from '../../contract/errors';
import type { BackstopConfig } from '../../core/config';
import { loadSecretBox, type SecretBox } from '../../core/secrets';
import { createPool, waitForDatabase } from '../../catalog/db';
import { migrate } from '../../catalog/migrate';
import { Catalog } from '../../catalog/catalog';
import { rotateMasterKey } from '../../catalog/master-key-rotation';
import { exportCatalog, importCatalog, parseCatalogExport } from '../../catalog/catalog-export';
import { createEngines } from '../../activities/shared/engines/engines';
import { embeddedPostgresLayout } from '../embedded/embedded-postgres';
import { describeRecovery, rebuildCatalog } from './rebuild-catalog';

export const ADMIN_USAGE = `  admin rotate-master-key  re-seal every secret in the catalog under BACKSTOP_MASTER_KEY (or
                          data/master.key), opening them with it or the previous key
                          (BACKSTOP_MASTER_KEY_PREVIOUS or data/master.key.previous); one
                          transaction: killed part-way it changes nothing, run it again
  admin rebuild-catalog   after losing the catalog: list every registered repository's
                          snapshots and add them back, recreating the jobs their tags name
                          (register the repositories first: repos create --no-init)
  admin export <file>     write the whole catalog to a JSON file (secrets stay sealed: the
                          new place needs the same master key)
  admin import <file>     load an export into an empty catalog, in one transaction
  (admin commands use DATABASE_URL, else the socket of the catalog \`backstop up\` runs)`;

/** The master key must already exist: an admin command making a new one would lock every secret away. */
function existingSecretBox(config: BackstopConfig): SecretBox {
  if (!config.masterKey && !existsSync(join(config.dataDir, 'master.key'))) {
    throw new InputError(`no master key: set BACKSTOP_MASTER_KEY or put the key file at ${join(config.dataDir, 'master.key')}`);
  }
  return loadSecretBox(config, config.dataDir);
}

async function withCatalogPool<T>(config: BackstopConfig, fn: (pool: Pool) => Promise<T>, opts: { migrate: boolean }): Promise<T> {
  const embedded = config.databaseUrl ? null : embeddedPostgresLayout(config.dataDir);
  const pool = createPool(config.databaseUrl ?? embedded!.databaseUrl, 2);
  try {
    await waitForDatabase(pool, 10_000).catch((err: unknown) => {
      // Names where it looked, never the URL itself (it may hold a password).
      const where = embedded ? `the embedded catalog's socket in ${embedded.pgdata} (is \`backstop up\` running? else set DATABASE_URL)` : 'DATABASE_URL';
      throw new Error(`cannot reach the catalog at ${where}: ${err instanceof Error ? err.message : String(err)}`);
    });
    if (opts.migrate) await migrate(pool);
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

export async function adminCommand(config: BackstopConfig, sub: string | undefined, args: string[]): Promise<number> {
  switch (sub) {
    case 'rotate-master-key': {
      const box = existingSecretBox(config);
      if (!box.hasPreviousKey) console.log('note: no previous key is set (BACKSTOP_MASTER_KEY_PREVIOUS, data/master.key.previous): every secret must already open under the current key');
      const report = await withCatalogPool(config, (pool) => rotateMasterKey(pool, box), { migrate: true });
      for (const [column, n] of Object.entries(report.resealed)) console.log(`${column}: ${n} re-sealed`);
      console.log(`${report.total} secrets now sealed under the current master key; the previous key can be removed from every process`);
      return 0;
    }
    case 'rebuild-catalog': {
      const box = existingSecretBox(config);
      const engine = createEngines({ stateDir: join(config.dataDir, 'admin'), stallTimeoutMs: config.stallTimeoutMs, killGraceMs: config.cancelGraceMs });
      const report = await withCatalogPool(config, (pool) => rebuildCatalog(new Catalog(pool), box, engine), { migrate: true });
      for (const line of describeRecovery(report)) console.log(line);
      return 0;
    }
    case 'export': {
      const file = args[0];
      if (!file) throw new InputError('admin export needs a file name');
      const data = await withCatalogPool(config, (pool) => exportCatalog(pool), { migrate: true });
      // Written whole or not at all, readable by its owner only: it holds sealed secrets and token hashes.
      const partial = `${file}.partial`;
      rmSync(partial, { force: true }); // a leftover of a killed export may have another mode
      writeFileSync(partial, JSON.stringify(data), { mode: 0o600 });
      renameSync(partial, file);
      const counts = Object.entries(data.tables).filter(([, rows]) => rows.length > 0);
      console.log(`exported catalog schema ${data.schemaVersion} to ${file}: ${counts.map(([t, rows]) => `${t} ${rows.length}`).join(', ') || 'no rows'}`);
      return 0;
    }
    case 'import': {
      const file = args[0];
      if (!file) throw new InputError('admin import needs a file name');
      if (!existsSync(file)) throw new InputError(`${file} does not exist`);
      const data = parseCatalogExport(readFileSync(file, 'utf8'));
      // The import builds the schema itself, up to the export's migration, then the rest.
      const report = await withCatalogPool(config, (pool) => importCatalog(pool, data), { migrate: false });
      const counts = Object.entries(report.rows).filter(([, n]) => n > 0);
      console.log(`imported catalog schema ${report.schemaVersion}: ${counts.map(([t, n]) => `${t} ${n}`).join(', ') || 'no rows'}`);
      return 0;
    }
    case undefined:
    case 'help':
      console.log(`usage: backstop admin <command>\n\n${ADMIN_USAGE}`);
      return 0;
    default:
      throw new InputError(`unknown admin command "${sub}":\n${ADMIN_USAGE}`);
  }
}
