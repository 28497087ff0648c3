// Master-key rotation against real PostgreSQL: a catalog holding a secret of every sealed
// kind, rotated by the real CLI process; and a rotation killed with -9 while it is blocked
// part-way (the test holds a row lock the rotating transaction needs, after it has already
// re-sealed other rows) leaves every secret under the old key, and a re-run completes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client, type Pool } from 'pg';
import { startPostgres, type Postgres } from '../support/postgres';
import { createPool } from '../../catalog/db';
import { migrate } from '../../catalog/migrate';
import { Catalog } from '../../catalog/catalog';
import { SecretBox } from '../../core/secrets';
import { createCertificateAuthority } from '../../core/pki';
import { repositoryS3Context, repositorySyncContext } from '../../core/s3';
import { repositoryBackendContext } from '../../core/repository-backend';
import { pluginConfigSecretContext } from '../../catalog/plugin-configs';
import { SEALED_COLUMNS, sealedColumnName } from '../../catalog/sealed-columns';
import { ROTATION_APPLICATION_NAME } from '../../catalog/master-key-rotation';
import { runAdmin, startAdmin } from '../support/admin-cli';
import { waitFor } from '../support/wait';
import { channelSecretContext } from '../../catalog/notifications';

jest.setTimeout(180_000);

let pg: Postgres;
let pool: Pool;
let catalog: Catalog;
let dataDir: string;
const oldKey = randomBytes(32);
const newKey = randomBytes(32);
const thirdKey = randomBytes(32);
/** Every plaintext the catalog holds, by `table.column/id`: what must open after every step. */
const expected = new Map<string, string>();
let pluginConfigId: number;

/** Opens every sealed value of the catalog with `box`; throws on the first that does not open. */
async function openAll(box: SecretBox): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const c of SEALED_COLUMNS) {
    const { rows } = await pool.query<{ id: string; sealed: string }>(`SELECT ${c.idColumn}::text AS id, ${c.column} AS sealed FROM ${c.table} WHERE ${c.column} IS NOT NULL`);
    for (const r of rows) out.set(`${sealedColumnName(c)}/${r.id}`, box.open(r.sealed, c.label(r.id)));
  }
  return out;
}

async function opensUnderNone(box: SecretBox): Promise<boolean> {
  for (const c of SEALED_COLUMNS) {
    const { rows } = await pool.query<{ id: string; sealed: string }>(`SELECT ${c.idColumn}::text AS id, ${c.column} AS sealed FROM ${c.table} WHERE ${c.column} IS NOT NULL`);
    for (const r of rows) {
      try {
        box.open(r.sealed, c.label(r.id));
        return false;
      } catch {
        // expected: sealed under another key
      }
    }
  }
  return true;
}

const env = (current: Buffer, previous?: Buffer): Record<string, string> => ({
  DATABASE_URL: pg.url,
  BACKSTOP_DATA_DIR: dataDir,
  BACKSTOP_MASTER_KEY: current.toString('hex'),
  BACKSTOP_MASTER_KEY_PREVIOUS: previous ? previous.toString('hex') : '',
});

/** No plaintext secret and no key in what the CLI printed. */
function expectNoSecrets(output: string): void {
  for (const plaintext of expected.values()) expect(output).not.toContain(plaintext);
  for (const k of [oldKey, newKey, thirdKey]) expect(output).not.toContain(k.toString('hex'));
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'backstop-rotate-'));
  pg = await startPostgres();
  pool = createPool(pg.url, 3);
  await migrate(pool);
  catalog = new Catalog(pool);
  const box = SecretBox.fromKey(oldKey);
  const seal = (key: string, plaintext: string, context: string) => {
    expected.set(key, plaintext);
    return box.seal(plaintext, context);
  };
  // Two repositories, one with every repository secret; an S3 sync target; a plugin
  // configuration's secrets; a notification channel's secrets; the internal CA's key.
  for (const n of [1, 2]) {
    const id = await catalog.repositories.nextId();
    await catalog.repositories.insert({ id, name: `repo${n}`, url: `/srv/repo${n}`, passwordSealed: seal(`repositories.password_sealed/${id}`, `password-${n}-${randomBytes(8).toString('hex')}`, `repository:${id}`) });
    if (n === 1) {
      await catalog.repositories.setS3Sealed(id, seal(`repositories.s3_sealed/${id}`, JSON.stringify({ accessKeyId: 'AKIA1', secretAccessKey: `s3-secret-${randomBytes(8).toString('hex')}` }), repositoryS3Context(id)));
      await catalog.repositories.setBackendSealed(id, seal(`repositories.backend_sealed/${id}`, JSON.stringify({ sshPrivateKey: `ssh-key-${randomBytes(8).toString('hex')}` }), repositoryBackendContext(id)));
      await catalog.repositories.putSyncTarget({
        repositoryId: id, endpoint: 'http://127.0.0.1:1', bucket: 'b', prefix: '', region: null, bandwidthLimit: null, transfers: null, checksum: false,
        credentialsSealed: seal(`repository_sync_targets.credentials_sealed/${id}`, JSON.stringify({ accessKeyId: 'AKIA2', secretAccessKey: `sync-secret-${randomBytes(8).toString('hex')}` }), repositorySyncContext(id)),
      });
    }
  }
  const agent = await catalog.agents.upsert({ name: 'web1' });
  pluginConfigId = await catalog.pluginConfigs.insert(agent.id, { name: 'main-pg', plugin: 'pg_dump', settings: { host: '127.0.0.1' }, secretFields: ['password'] });
  await catalog.pluginConfigs.setSecrets(pluginConfigId, seal(`plugin_configs.secrets_sealed/${pluginConfigId}`, JSON.stringify({ password: `pg-secret-${randomBytes(8).toString('hex')}` }), pluginConfigSecretContext(pluginConfigId)));
  const channelId = await catalog.notifications.nextChannelId();
  await catalog.notifications.insertChannel(
    channelId,
    { name: 'ops-slack', kind: 'slack', settings: {}, secretFields: ['url'] },
    seal(`notification_channels.secrets_sealed/${channelId}`, JSON.stringify({ url: `https://hooks.slack.example/T0/B0/${randomBytes(8).toString('hex')}` }), channelSecretContext(channelId)),
  );
  const ca = await catalog.identity.ensureCertificateAuthority(box, () => createCertificateAuthority());
  expected.set('internal_ca.key_sealed/1', ca.keyPem);
});

afterAll(async () => {
  await pool?.end();
  await pg?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('the registry names every sealed column of the migrated schema, and the catalog holds one secret of each', async () => {
  const { rows } = await pool.query<{ name: string }>(
    `SELECT table_name || '.' || column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name LIKE '%\\_sealed' ORDER BY 1`,
  );
  expect(rows.map((r) => r.name)).toEqual(SEALED_COLUMNS.map(sealedColumnName).sort());
  const kinds = new Set([...expected.keys()].map((k) => k.split('/')[0]));
  expect([...kinds].sort()).toEqual(SEALED_COLUMNS.map(sealedColumnName).sort());
  expect(await openAll(SecretBox.fromKey(oldKey))).toEqual(expected);
});

test('a rotation with a wrong previous key changes nothing and says which value failed, not what it holds', async () => {
  const r = await runAdmin(['rotate-master-key'], env(newKey, thirdKey));
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/repositories\.password_sealed of id 1 opens under neither the current master key nor the previous one; nothing was changed/);
  expectNoSecrets(r.stdout + r.stderr);
  expect(await openAll(SecretBox.fromKey(oldKey))).toEqual(expected);
});

test('killed with -9 in the middle, a rotation leaves every secret under the old key; run again, it completes', async () => {
  // Hold the plugin configuration's row: the rotation re-seals the repositories' values
  // first (registry order), then blocks on this lock inside its one transaction.
  const holder = new Client({ connectionString: pg.url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM plugin_configs WHERE id = $1 FOR UPDATE', [pluginConfigId]);
    const rotation = startAdmin(['rotate-master-key'], env(newKey, oldKey));
    // Blocked on our lock, with writes behind it: PostgreSQL gives a transaction an xid only when it writes.
    const blocked = await waitFor('the rotation to wait on the held row after re-sealing others', async () => {
      const { rows } = await pool.query<{ pid: number; xid: string | null }>(
        `SELECT pid, backend_xid::text AS xid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
        [ROTATION_APPLICATION_NAME],
      );
      return rows[0]?.xid ? rows[0] : null;
    });
    rotation.proc.kill('SIGKILL');
    const killed = await rotation.done;
    expect(killed.signal).toBe('SIGKILL');
    // Nothing half-rotated: every value opens under the old key alone, none under the new one.
    expect(await openAll(SecretBox.fromKey(oldKey))).toEqual(expected);
    expect(await opensUnderNone(SecretBox.fromKey(newKey))).toBe(true);
    await holder.query('ROLLBACK');
    // The orphaned backend gets the lock, finds its client gone and rolls back.
    await waitFor('the killed rotation\'s transaction to end', async () => {
      const { rows } = await pool.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND xact_start IS NOT NULL', [blocked.pid]);
      return rows.length === 0;
    });
    expect(await openAll(SecretBox.fromKey(oldKey))).toEqual(expected);
  } finally {
    await holder.end();
  }

  const rerun = await runAdmin(['rotate-master-key'], env(newKey, oldKey));
  expect(rerun.code).toBe(0);
  expect(rerun.stdout).toContain(`${expected.size} secrets now sealed under the current master key`);
  expect(rerun.stdout).toContain('repositories.password_sealed: 2 re-sealed');
  expectNoSecrets(rerun.stdout + rerun.stderr);
  // Every secret opens under the new key only.
  expect(await openAll(SecretBox.fromKey(newKey))).toEqual(expected);
  expect(await opensUnderNone(SecretBox.fromKey(oldKey))).toBe(true);
  // The previous key dropped: a re-run under the new key alone re-seals and changes no plaintext.
  const again = await runAdmin(['rotate-master-key'], env(newKey));
  expect(again.code).toBe(0);
  expect(await openAll(SecretBox.fromKey(newKey))).toEqual(expected);
});
