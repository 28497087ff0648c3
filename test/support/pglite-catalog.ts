// A catalog as an earlier Backstop kept it in PGlite (data/catalog), written the way that
// Backstop wrote it: PGlite served over the PostgreSQL wire protocol (pglite-socket), the
// product's own migrations and Catalog through one pg connection.
//
// PGlite loads its WebAssembly with a dynamic import(), which jest's module sandbox refuses:
// tests call writePgliteCatalog(), which runs this file as its own node process (tsx).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Pool } from 'pg';
import { loadMigrations, migrate } from '../../catalog/migrate';
import { Catalog } from '../../catalog/catalog';
import { SecretBox } from '../../core/secrets';
import { freePort } from './ports';

export interface ServedPglite {
  url: string;
  stop(): Promise<void>;
}

/** PGlite in `dir`, served on a loopback port as the old embedded stack served it. */
export async function servePglite(dir: string, maxConnections = 16): Promise<ServedPglite> {
  const db = await PGlite.create(dir);
  const port = await freePort();
  const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections });
  await server.start();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

export interface PgliteCatalogContents {
  adminToken: string;
  repository: { id: number; name: string; url: string; password: string };
}

/**
 * Writes a PGlite catalog at migration level `upTo` (all by default) holding an admin token
 * and a repository whose password is sealed with `masterKey`.
 */
export async function writePgliteCatalog(dir: string, masterKey: Buffer, opts: { upTo?: number; repositoryUrl: string }): Promise<PgliteCatalogContents> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', __filename, JSON.stringify({ dir, key: masterKey.toString('hex'), ...opts })]);
  return JSON.parse(stdout) as PgliteCatalogContents;
}

async function writeInProcess(dir: string, masterKey: Buffer, opts: { upTo?: number; repositoryUrl: string }): Promise<PgliteCatalogContents> {
  const served = await servePglite(dir, 1);
  const pool = new Pool({ connectionString: served.url, max: 1 });
  try {
    await migrate(pool, loadMigrations().filter((m) => opts.upTo === undefined || m.version <= opts.upTo));
    const catalog = new Catalog(pool);
    const adminToken = await catalog.identity.createToken({ name: 'admin from PGlite', scope: 'admin' });
    const password = 'a passphrase kept in PGlite';
    const repository = { id: 7, name: 'from-pglite', url: opts.repositoryUrl, password };
    // Plain SQL with the columns every migration level has: the catalog's own insert writes
    // the columns of the newest schema (engine options, …), which an older catalog lacks.
    await pool.query('INSERT INTO repositories (id, name, url, password_sealed) VALUES ($1, $2, $3, $4)', [
      repository.id,
      repository.name,
      repository.url,
      SecretBox.fromKey(masterKey).seal(password, `repository:${repository.id}`),
    ]);
    return { adminToken, repository };
  } finally {
    await pool.end();
    await served.stop();
  }
}

if (require.main === module) {
  const a = JSON.parse(process.argv[2]!) as { dir: string; key: string; upTo?: number; repositoryUrl: string };
  writeInProcess(a.dir, Buffer.from(a.key, 'hex'), a).then(
    (r) => process.stdout.write(JSON.stringify(r)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
