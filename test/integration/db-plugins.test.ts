// Database plugins against real servers (Debian's PostgreSQL and MariaDB, started here), on
// the real stack: dump → backup → drop the database → database restore workflow → the rows
// are equal, in stream mode (restic --stdin-from-command) and directory mode. Bad
// configurations give a failed plugin-test run with the precise reason.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryDatabase, startPostgres, type Postgres } from '../support/postgres';
import { startMariaDb, type MariaDb } from '../support/mariadb';
import { startStack, type Stack } from '../support/stack';
import { freePort } from '../support/ports';
import type { ApiRun } from '../../core/api-client';
import { decodedPayloads, historyJson, recordHistory } from '../support/history';
import { removeWorkDir } from '../support/work-dir';

jest.setTimeout(600_000);

const PG_PASSWORD = 'pg pass "quoted" $HOME';
const MY_PASSWORD = 'my-pass-\'"\\-x';

let catalogPg: Postgres;
let dbPg: Postgres;
let maria: MariaDb;
let stack: Stack;
let work: string;
let repoId: number;

interface PluginConfig {
  id: number;
}

const pgQuery = (database: string, sql: string) => queryDatabase(dbPg, database, sql);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-db-plugins-'));
  mkdirSync(join(work, 'files'));
  writeFileSync(join(work, 'files', 'a.txt'), 'files too\n');
  [catalogPg, dbPg, maria] = await Promise.all([startPostgres(), startPostgres({ password: PG_PASSWORD }), startMariaDb()]);
  maria.sql(`CREATE USER 'backup'@'%' IDENTIFIED BY '${MY_PASSWORD.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'; GRANT ALL ON *.* TO 'backup'@'%'`);
  stack = await startStack({ databaseUrl: catalogPg.url });
  repoId = (await stack.api.createRepository({ name: 'db', url: join(work, 'repo'), password: 'repo-pass' })).id;
});

afterAll(async () => {
  await stack?.stop();
  await Promise.all([catalogPg?.stop(), dbPg?.stop(), maria?.stop()]);
  // Last: every process that wrote there has stopped.
  removeWorkDir(work);
});

const createConfig = (name: string, plugin: string, settings: Record<string, unknown>, secrets: Record<string, string> = {}) =>
  stack.api.request<PluginConfig>('POST', '/v1/agents/local/plugin-configs', { name, plugin, settings, secrets });

async function backupWith(jobName: string, configId: number): Promise<{ run: ApiRun; jobId: number }> {
  const job = await stack.api.createJob({ name: jobName, agent: 'local', repositoryId: repoId, paths: [join(work, 'files')] });
  await stack.api.request('PUT', `/v1/jobs/${job.id}/plugins`, { configIds: [configId] });
  const { runId } = await stack.api.runJob(job.id);
  return { run: await stack.api.waitForRun(runId, { timeoutMs: 300_000 }), jobId: job.id };
}

async function restoreDb(snapshotId: string, body: Record<string, unknown>): Promise<ApiRun> {
  const { runId } = await stack.api.request<{ runId: string }>('POST', `/v1/snapshots/${snapshotId}/restore-database`, { agent: 'local', ...body });
  return stack.api.waitForRun(runId, { timeoutMs: 300_000 });
}

async function testRun(configId: number): Promise<ApiRun> {
  const { runId } = await stack.api.request<{ runId: string }>('POST', `/v1/agents/local/plugin-configs/${configId}/test`);
  return stack.api.waitForRun(runId, { timeoutMs: 120_000 });
}

/** Where a dump file of a directory-mode run sits in its files snapshot. */
const dumpDirPath = (runId: string, configId: number, plugin: string, file: string) => join(stack.dir, 'data', 'agents', 'local', 'plugin-work', runId, String(configId), plugin, file);

describe('pg_dump', () => {
  const pgSettings = (mode: string, extra: Record<string, unknown> = {}) => ({ host: '127.0.0.1', port: dbPg.port, user: 'postgres', mode, ...extra });
  const ROWS = "SELECT id, name, note FROM items ORDER BY id";

  beforeAll(async () => {
    await pgQuery('postgres', 'CREATE DATABASE app');
    await pgQuery('app', "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, note text); INSERT INTO items SELECT g, 'item ' || g, repeat('x', g % 50) FROM generate_series(1, 2000) g");
  });

  it.each(['stream', 'directory'])('%s mode: dump, back up, drop, restore: the rows are equal', async (mode) => {
    const before = await pgQuery('app', ROWS);
    const config = await createConfig(`pg-${mode}`, 'pg_dump', pgSettings(mode, { databases: ['app'] }), { password: PG_PASSWORD });
    const { run, jobId } = await backupWith(`pg-${mode}`, config.id);
    expect(run.status).toBe('succeeded');
    const snapshots = await stack.api.listSnapshots(jobId);
    let snapshotId: string;
    let path: string;
    if (mode === 'stream') {
      // A stream is its own engine snapshot, recorded with the run beside the files snapshot.
      expect(snapshots).toHaveLength(2);
      path = `/backstop/pg_dump/config-${config.id}/app.dump`;
      const stream = snapshots.find((s) => s.paths.includes(path))!;
      expect(stream.tags).toEqual(expect.arrayContaining([`backstop-item=${config.id}/app`]));
      expect(stream.runId).toBe(run.id);
      snapshotId = stream.id;
    } else {
      expect(snapshots).toHaveLength(1);
      snapshotId = snapshots[0]!.id;
      path = dumpDirPath(run.id, config.id, 'pg_dump', 'app.dump');
    }
    // The password never reaches the run log, nor workflow history (which carries config ids).
    const log = await stack.api.runLog(run.id);
    expect(JSON.stringify(log)).not.toContain(PG_PASSWORD);
    const history = await historyJson(stack.temporalAddress, run.workflowId);
    const payloads = decodedPayloads(history);
    // The search is real: the payloads are decoded (the plugin steps' inputs name the config id).
    expect(payloads).toContain(`"configIds":[${config.id}]`);
    expect(payloads).not.toContain(PG_PASSWORD);
    recordHistory(`backup-plugins-${mode}`, history);

    await pgQuery('postgres', 'DROP DATABASE app');
    const restored = await restoreDb(snapshotId, { configId: config.id, path, target: 'app' });
    expect(restored.status).toBe('succeeded');
    expect(await pgQuery('app', ROWS)).toEqual(before);
    const restoreHistory = await historyJson(stack.temporalAddress, restored.workflowId);
    expect(decodedPayloads(restoreHistory)).not.toContain(PG_PASSWORD);
    if (mode === 'stream') recordHistory('db-restore-succeeded', restoreHistory);

    // The database exists now: without overwrite the restore refuses, with it, it replaces it.
    await pgQuery('app', 'DELETE FROM items WHERE id > 10');
    const refused = await restoreDb(snapshotId, { configId: config.id, path, target: 'app' });
    expect(refused.status).toBe('failed');
    expect(refused.failureReason).toContain('database "app" already exists: choose a new name, or ask to overwrite it explicitly');
    expect(await pgQuery('app', 'SELECT count(*)::int AS n FROM items')).toEqual([{ n: 10 }]);
    const overwritten = await restoreDb(snapshotId, { configId: config.id, path, target: 'app', overwrite: true });
    expect(overwritten.status).toBe('succeeded');
    expect(await pgQuery('app', ROWS)).toEqual(before);
  });

  it('dumps every non-template database when none is named, and a failed dump fails the run', async () => {
    const all = await createConfig('pg-all', 'pg_dump', pgSettings('stream'), { password: PG_PASSWORD });
    const { run, jobId } = await backupWith('pg-all', all.id);
    expect(run.status).toBe('succeeded');
    const paths = (await stack.api.listSnapshots(jobId)).flatMap((s) => s.paths).sort();
    expect(paths).toEqual(expect.arrayContaining([`/backstop/pg_dump/config-${all.id}/app.dump`, `/backstop/pg_dump/config-${all.id}/postgres.dump`]));
    expect(paths.some((p) => p.includes('template'))).toBe(false);

    const missing = await createConfig('pg-missing', 'pg_dump', pgSettings('stream', { databases: ['nope'] }), { password: PG_PASSWORD });
    const failed = await backupWith('pg-missing', missing.id);
    expect(failed.run.status).toBe('failed');
    expect(failed.run.failureReason).toContain('database does not exist');
    // Nothing stored as if it were good.
    expect(await stack.api.listSnapshots(failed.jobId)).toEqual([]);
  });
});

describe('mysql_dump', () => {
  const mySettings = (mode: string) => ({ host: '127.0.0.1', port: maria.port, user: 'backup', databases: ['shop'], mode });
  const ROWS = 'SELECT id, name, price FROM orders ORDER BY id';

  beforeAll(() => {
    maria.sql("CREATE DATABASE shop; CREATE TABLE shop.orders (id int PRIMARY KEY, name varchar(50), price decimal(8,2)) ENGINE=InnoDB");
    const values = Array.from({ length: 500 }, (_, i) => `(${i + 1}, 'order ${i + 1}', ${(i * 1.25).toFixed(2)})`).join(',');
    maria.sql(`INSERT INTO shop.orders VALUES ${values}`);
  });

  it.each(['stream', 'directory'])('%s mode: dump, back up, drop, restore: the rows are equal', async (mode) => {
    const before = maria.sql(ROWS, 'shop');
    expect(before.split('\n').length).toBeGreaterThan(500);
    const config = await createConfig(`my-${mode}`, 'mysql_dump', mySettings(mode), { password: MY_PASSWORD });
    const { run, jobId } = await backupWith(`my-${mode}`, config.id);
    expect(run.status).toBe('succeeded');
    const snapshots = await stack.api.listSnapshots(jobId);
    const path = mode === 'stream' ? `/backstop/mysql_dump/config-${config.id}/shop.sql` : dumpDirPath(run.id, config.id, 'mysql_dump', 'shop.sql');
    const snapshotId = mode === 'stream' ? snapshots.find((s) => s.paths.includes(path))!.id : snapshots[0]!.id;
    expect(snapshots).toHaveLength(mode === 'stream' ? 2 : 1);

    maria.sql('DROP DATABASE shop');
    const restored = await restoreDb(snapshotId, { configId: config.id, path, target: 'shop' });
    expect(restored.status).toBe('succeeded');
    expect(maria.sql(ROWS, 'shop')).toBe(before);
    const refused = await restoreDb(snapshotId, { configId: config.id, path, target: 'shop' });
    expect(refused.failureReason).toContain('database "shop" already exists');
  });
});

describe('plugin test runs', () => {
  it('pass for a good configuration and name the failed checks of bad ones', async () => {
    const good = await createConfig('pg-good', 'pg_dump', { host: '127.0.0.1', port: dbPg.port, user: 'postgres' }, { password: PG_PASSWORD });
    const ok = await testRun(good.id);
    expect(ok.status).toBe('succeeded');
    const testHistory = await historyJson(stack.temporalAddress, ok.workflowId);
    expect(decodedPayloads(testHistory)).not.toContain(PG_PASSWORD);
    recordHistory('plugin-test-succeeded', testHistory);
    expect(JSON.stringify(ok.details)).toContain('schema-only dump succeeded');

    const closedPort = await freePort();
    const cases: Array<[string, string, Record<string, unknown>, Record<string, string>, string]> = [
      ['pg-wrong-password', 'pg_dump', { host: '127.0.0.1', port: dbPg.port, user: 'postgres' }, { password: 'wrong' }, 'connect: psql: authentication failed ('],
      ['pg-unknown-host', 'pg_dump', { host: 'no-such-host.invalid', user: 'postgres' }, {}, 'connect: psql: unknown host ('],
      ['pg-refused', 'pg_dump', { host: '127.0.0.1', port: closedPort }, {}, 'connect: psql: connection refused ('],
      ['my-wrong-password', 'mysql_dump', { host: '127.0.0.1', port: maria.port, user: 'backup' }, { password: 'wrong' }, 'connect: mariadb: authentication failed ('],
      ['my-unknown-host', 'mysql_dump', { host: 'no-such-host.invalid', user: 'backup' }, {}, 'connect: mariadb: unknown host ('],
      ['hook-missing', 'shell_hook', { preScript: join(work, 'no-such-script.sh') }, {}, `pre script ${join(work, 'no-such-script.sh')} is missing (no such file)`],
    ];
    writeFileSync(join(work, 'not-executable.sh'), '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    cases.push(['hook-not-exec', 'shell_hook', { postScript: join(work, 'not-executable.sh') }, {}, `post script ${join(work, 'not-executable.sh')} is not executable`]);
    for (const [name, plugin, settings, secrets, reason] of cases) {
      const config = await createConfig(name, plugin, settings, secrets);
      const run = await testRun(config.id);
      expect({ name, status: run.status }).toEqual({ name, status: 'failed' });
      expect(run.failureReason).toContain(reason);
      expect(run.failureReason).not.toMatch(/\n\s+at /);
    }
  });
});

describe('pipe', () => {
  it("stores a reader's stdout at its pseudo path and feeds it to the writer on restore; a failing reader stores nothing", async () => {
    const content = Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n') + '\n';
    writeFileSync(join(work, 'pipe-source.txt'), content);
    mkdirSync(join(work, 'pipe-out'));
    const config = await createConfig('notes', 'pipe', { name: 'notes', reader: `cat ${join(work, 'pipe-source.txt')}`, writer: `cat > ${join(work, 'pipe-out')}/"$BACKSTOP_RESTORE_TARGET"` });
    const { run, jobId } = await backupWith('pipe', config.id);
    expect(run.status).toBe('succeeded');
    const path = `/backstop/pipe/config-${config.id}/notes`;
    const stream = (await stack.api.listSnapshots(jobId)).find((s) => s.paths.includes(path))!;
    const restored = await restoreDb(stream.id, { configId: config.id, path, target: 'notes_copy' });
    expect(restored.status).toBe('succeeded');
    expect(readFileSync(join(work, 'pipe-out', 'notes_copy'), 'utf8')).toBe(content);

    // restic runs the reader; the repository password in restic's environment is not passed on.
    const nosy = await createConfig('nosy-pipe', 'pipe', { name: 'nosy', reader: 'echo "password=[$RESTIC_PASSWORD] repo=[$RESTIC_REPOSITORY]"', writer: `cat > ${join(work, 'pipe-out')}/nosy` });
    const nosyRun = await backupWith('nosy-pipe', nosy.id);
    const nosyPath = `/backstop/pipe/config-${nosy.id}/nosy`;
    const nosyStream = (await stack.api.listSnapshots(nosyRun.jobId)).find((s) => s.paths.includes(nosyPath))!;
    expect((await restoreDb(nosyStream.id, { configId: nosy.id, path: nosyPath, target: 'nosy' })).status).toBe('succeeded');
    expect(readFileSync(join(work, 'pipe-out', 'nosy'), 'utf8')).toBe('password=[] repo=[]\n');

    const broken = await createConfig('broken-pipe', 'pipe', { name: 'broken', reader: 'echo partial; exit 3' });
    const failed = await backupWith('broken-pipe', broken.id);
    expect(failed.run.status).toBe('failed');
    expect(failed.run.failureReason).toContain(`/backstop/pipe/config-${broken.id}/broken: sh failed, nothing stored`);
    expect(await stack.api.listSnapshots(failed.jobId)).toEqual([]);
  });
});
