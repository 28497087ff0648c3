// Restore drills (issue 17) on the real stack: restic, borg, PostgreSQL (catalog and a
// database server to dump), the Temporal dev server and the API / server worker / agent
// processes. A drill must catch real damage and pass a healthy repository:
//  1. every job gets a drill schedule when it is created (weekly), in the API and in Temporal;
//     triggering it runs a drill as a scheduled run;
//  2. a healthy restic repository: the drill passes, its evidence names the snapshot, the
//     check, each file checked (the largest and the newest among them) with its sha256, and
//     the scratch directory is gone; GET /v1/jobs shows the last drill;
//  3. the data pack that only one file uses deleted: the drill fails naming the file (and the
//     check names the missing pack); the pack of the snapshot's trees deleted: the drill
//     cannot list the snapshot (its restores read through an empty cache, as a new machine);
//  4. a data pack corrupted in place: the drill fails naming the damaged pack and the file,
//     and raises drill.failed to the job's rule;
//  5. database dumps: a sound one restores into a scratch database and is probed (row
//     counts, the configuration's probe query); one pg_restore cannot load fails the drill
//     naming the dump; a MariaDB dump in directory mode is found in the files snapshot and
//     drilled the same way; no scratch database is left;
//  6. on another agent, on the server worker for a pull job, and on a borg repository;
//  7. PBS is refused with 400 before any run starts.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryDatabase, startPostgres, type Postgres } from '../support/postgres';
import { startMariaDb, type MariaDb } from '../support/mariadb';
import { startStack, type Stack } from '../support/stack';
import { startHttpReceiver, type HttpReceiver } from '../support/http-receiver';
import { writeRandomFiles } from '../support/random-files';
import { locks } from '../support/restic';
import { waitFor } from '../support/wait';
import { problemOf } from '../support/problem';
import { decodedPayloads, historyJson, recordHistory } from '../support/history';
import { WEEK_SECONDS, drillScheduleOffsetSeconds } from '../../core/drill';
import type { DrillEvidence } from '../../contract/drill';
import type { ApiRun } from '../../core/api-client';

jest.setTimeout(600_000);

const PASSWORD = 'drill repository passphrase';

let catalogPg: Postgres;
let dbPg: Postgres;
let stack: Stack;
let receiver: HttpReceiver;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-drills-'));
  [catalogPg, dbPg] = await Promise.all([startPostgres(), startPostgres()]);
  receiver = await startHttpReceiver();
  stack = await startStack({ databaseUrl: catalogPg.url });
});

afterAll(async () => {
  await stack?.stop();
  await Promise.all([catalogPg?.stop(), dbPg?.stop(), receiver?.stop()]);
});

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const evidenceOf = (run: ApiRun) => run.details as unknown as DrillEvidence;
/** The data packs of a restic repository (data/<xx>/<id>). */
const dataPacks = (repo: string): string[] =>
  readdirSync(join(repo, 'data'), { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
/** Scratch directories of drills on an agent (none may be left). */
const scratchLeft = (agent: string) => {
  const dir = join(stack.dir, 'data', 'agents', agent, 'drills');
  return existsSync(dir) ? readdirSync(dir) : [];
};

/**
 * A source tree with a known largest file and known newest files (mtimes set), backed up once
 * by a new job on a new repository.
 */
async function backedUpJob(name: string, opts: { engine?: 'restic' | 'borg'; mode?: 'push' | 'pull' } = {}) {
  const source = join(work, `${name}-src`);
  mkdirSync(join(source, 'docs'), { recursive: true });
  writeRandomFiles(join(source, 'data'), 12, 20_000, { subdirs: 3 });
  writeRandomFiles(source, 1, 2_500_000, { prefix: 'largest-' });
  const old = new Date('2025-01-01T00:00:00Z');
  for (const f of readdirSync(join(source, 'data'), { recursive: true })) utimesSync(join(source, 'data', String(f)), old, old);
  utimesSync(join(source, 'largest-0'), old, old);
  for (let i = 0; i < 3; i++) {
    const p = join(source, 'docs', `new-${i}.txt`);
    writeFileSync(p, `newest ${i} of ${name}\n`);
    utimesSync(p, new Date(Date.UTC(2026, 0, 1 + i)), new Date(Date.UTC(2026, 0, 1 + i)));
  }
  const repoPath = join(work, `${name}-repo`);
  const repo = await stack.api.createRepository({ name, engine: opts.engine ?? 'restic', url: repoPath, password: PASSWORD });
  const job = await stack.api.createJob({ name, agent: 'local', repositoryId: repo.id, paths: [source], mode: opts.mode ?? 'push' });
  const backup = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 180_000 });
  expect(backup.status).toBe('succeeded');
  return { source, repoPath, repositoryId: repo.id, jobId: job.id, snapshotId: backup.snapshotId! };
}

async function drill(jobId: number, body: { agent?: string } = {}): Promise<ApiRun> {
  const accepted = await stack.api.runJobDrill(jobId, body);
  expect(accepted.workflowId).toMatch(new RegExp(`^drill/${jobId}/\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`));
  return stack.api.waitForRun(accepted.runId, { timeoutMs: 300_000 });
}

/** A second backup that adds one incompressible file: the data packs it writes hold that file's data only. */
async function addFileInItsOwnPacks(job: { source: string; repoPath: string; jobId: number }, name: string, bytes: number) {
  const before = new Set(dataPacks(job.repoPath));
  writeRandomFiles(job.source, 1, bytes, { prefix: name });
  const run = await stack.api.waitForRun((await stack.api.runJob(job.jobId)).runId, { timeoutMs: 180_000 });
  expect(run.status).toBe('succeeded');
  const added = dataPacks(job.repoPath).filter((p) => !before.has(p));
  expect(added.length).toBeGreaterThan(0);
  return { path: join(job.source, `${name}0`), packs: added };
}

describe('the drill schedule', () => {
  it('is made with every job, weekly, visible in the API and in Temporal; triggered, it drills as a scheduled run', async () => {
    const job = await backedUpJob('drill-scheduled');
    const view = await stack.api.getJobDrill(job.jobId, 3);
    expect(view.settings).toEqual({ sampleFiles: 20, sampleBytes: 256 * 1024 * 1024, newestFiles: 3, readDataPercent: 5, verifyArchives: 1, staleAfterDays: 7, agent: null, probes: {} });
    expect(view.schedule).toMatchObject({
      scheduleId: `drill-schedule/${job.jobId}`,
      kind: 'drill',
      intervals: [{ everySeconds: WEEK_SECONDS, offsetSeconds: drillScheduleOffsetSeconds(job.jobId) }],
      paused: false,
      workflowIdPrefix: `drill/${job.jobId}/scheduled`,
    });
    const next = view.schedule!.nextRuns.map((t) => Date.parse(t));
    expect(next).toHaveLength(3);
    expect(next[1]! - next[0]!).toBe(WEEK_SECONDS * 1000);

    const described = await stack.temporal.schedule.getHandle(`drill-schedule/${job.jobId}`).describe();
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'drillWorkflow', workflowId: `drill/${job.jobId}/scheduled` });

    // What the schedule fires is a drill run that records itself (no run id from the API).
    await stack.temporal.schedule.getHandle(`drill-schedule/${job.jobId}`).trigger();
    const scheduled = await waitFor(
      'the scheduled drill to finish',
      async () => {
        const runs = (await stack.api.listRunsPage({ jobId: job.jobId, kind: 'drill' })).items;
        return runs.find((r) => r.workflowId.startsWith(`drill/${job.jobId}/scheduled-`) && r.finishedAt !== null);
      },
      300_000,
      500,
    );
    expect(scheduled).toMatchObject({ kind: 'drill', status: 'succeeded', snapshotId: job.snapshotId, agentName: 'local' });
  });

  it('pauses and resumes (a repository under repair), in the catalog and in Temporal; a drill by hand still runs while paused', async () => {
    const job = await backedUpJob('drill-paused');
    const handle = stack.temporal.schedule.getHandle(`drill-schedule/${job.jobId}`);
    const paused = await stack.api.setJobDrillSchedulePaused(job.jobId, true, 'repairing the repository');
    expect(paused).toMatchObject({ scheduleId: `drill-schedule/${job.jobId}`, paused: true, note: 'repairing the repository' });
    expect((await handle.describe()).state).toMatchObject({ paused: true, note: 'repairing the repository' });
    expect((await stack.api.getJobDrill(job.jobId)).schedule).toMatchObject({ paused: true });
    expect((await drill(job.jobId)).status).toBe('succeeded');
    await stack.api.setJobDrillSchedulePaused(job.jobId, false);
    expect((await handle.describe()).state.paused).toBe(false);
    expect((await stack.api.getJobDrill(job.jobId)).schedule).toMatchObject({ paused: false });
    // The job's backup schedule was never touched; a job without one answers 404 for it, as before.
    expect((await problemOf(stack.api.setJobSchedulePaused(job.jobId, true))).status).toBe(404);
  });
});

describe('a drill of a healthy restic repository', () => {
  it('passes, with the snapshot, the check and each file checked as evidence, and leaves no scratch space', async () => {
    const job = await backedUpJob('drill-healthy');
    const run = await drill(job.jobId);
    expect(run).toMatchObject({ kind: 'drill', status: 'succeeded', jobId: job.jobId, repositoryId: job.repositoryId, agentName: 'local', snapshotId: job.snapshotId, failureReason: null, warnings: [] });
    const e = evidenceOf(run);
    expect(e.snapshot).toMatchObject({ id: job.snapshotId, paths: [job.source] });
    expect(e.integrity).toMatchObject({ engine: 'restic', scope: 'restic check --no-lock --read-data-subset=5%', passed: true, problems: null });
    const files = e.files!;
    expect(files).toMatchObject({ restoredOn: 'local', seed: run.id, candidates: 16, mismatches: [], restoreError: null });
    expect(files.filesChecked).toBe(16);
    expect(files.files.every((f) => f.mismatch === null)).toBe(true);
    // The largest file first, then the newest, then the random rest.
    expect(files.files[0]).toMatchObject({ path: join(job.source, 'largest-0'), size: 2_500_000, picked: 'largest', sha256: sha256(join(job.source, 'largest-0')) });
    expect(files.files.filter((f) => f.picked === 'newest').map((f) => f.path)).toEqual([2, 1, 0].map((i) => join(job.source, 'docs', `new-${i}.txt`)));
    expect(files.bytesChecked).toBe(files.files.reduce((n, f) => n + f.size, 0));
    for (const f of files.files) expect(f.sha256).toBe(sha256(f.path));
    expect(e.databases).toEqual([]);
    expect(e.durationSeconds).toEqual(expect.any(Number));
    expect(scratchLeft('local')).toEqual([]);
    expect(await locks(job.repoPath, PASSWORD)).toEqual([]);

    // The run log has what was done, the listing shows the last drill.
    const lines = (await stack.api.runLog(run.id, { limit: 1000 })).items;
    expect(lines.map((l) => l.step)).toEqual(expect.arrayContaining(['drill-check', 'drill-files']));
    expect(lines.some((l) => l.line.startsWith(`ok ${join(job.source, 'largest-0')}`))).toBe(true);
    const listed = (await stack.api.listJobsWithHealth()).find((j) => j.id === job.jobId)!;
    expect(listed.health).toMatchObject({ lastDrill: { runId: run.id, outcome: 'succeeded', at: run.finishedAt }, lastDrillPassAt: run.finishedAt, drillStale: false });
    // Workflow history carries ids, never the repository's password.
    const history = await historyJson(stack.temporalAddress, run.workflowId);
    expect(decodedPayloads(history)).toContain(`"snapshotId":"${job.snapshotId}"`);
    expect(decodedPayloads(history)).not.toContain(PASSWORD);
    recordHistory('drill-succeeded', history);
  });
});

describe('a drill of a damaged restic repository', () => {
  it('fails naming the file whose only data pack is gone', async () => {
    const job = await backedUpJob('drill-deleted');
    const victim = await addFileInItsOwnPacks(job, 'victim-', 6_000_000);
    // The biggest new pack holds the file's data (the new trees are in a small one).
    const gone = victim.packs.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
    chmodSync(gone, 0o600);
    rmSync(gone);

    const run = await drill(job.jobId);
    expect(run).toMatchObject({ kind: 'drill', status: 'failed' });
    const packId = gone.split('/').pop()!;
    expect(run.failureReason).toContain(`repository check: restic check: the repository is damaged: pack ${packId}: does not exist`);
    expect(run.failureReason).toContain(`sampled files did not come back intact: ${victim.path} (`);
    const e = evidenceOf(run);
    expect(e.integrity).toMatchObject({ passed: false });
    expect(e.files!.mismatches.map((m) => m.path)).toEqual([victim.path]);
    expect(e.files!.mismatches[0]!.reason).toContain('restic cannot read its content back from the repository');
    // Every other file came back intact.
    expect(e.files!.files.filter((f) => f.path !== victim.path).every((f) => f.mismatch === null)).toBe(true);
    expect(scratchLeft('local')).toEqual([]);
    const listed = (await stack.api.listJobsWithHealth()).find((j) => j.id === job.jobId)!;
    expect(listed.health?.lastDrill).toMatchObject({ runId: run.id, outcome: 'failed' });
  });

  it('fails when the snapshot\'s trees are gone, which a warm engine cache on the agent would still have listed', async () => {
    const job = await backedUpJob('drill-trees');
    const added = await addFileInItsOwnPacks(job, 'extra-', 3_000_000);
    // The smallest new pack holds the new snapshot's trees (the file's data is in the big ones).
    const trees = added.packs.sort((a, b) => statSync(a).size - statSync(b).size)[0]!;
    chmodSync(trees, 0o600);
    rmSync(trees);

    const run = await drill(job.jobId);
    expect(run).toMatchObject({ kind: 'drill', status: 'failed' });
    expect(run.failureReason).toContain(`pack ${trees.split('/').pop()!}: does not exist`);
    expect(run.failureReason).toContain("the snapshot's files cannot be listed: restic ls:");
    expect(evidenceOf(run).files).toMatchObject({ restoredOn: 'local', filesChecked: 0, listError: expect.stringContaining('restic ls') });
    expect(scratchLeft('local')).toEqual([]);
  });

  it('fails naming the corrupt pack and the file it holds, and raises drill.failed', async () => {
    const job = await backedUpJob('drill-corrupt');
    const channel = await stack.api.request<{ id: number }>('POST', '/v1/notification-channels', { name: 'drill-watch', kind: 'webhook', settings: { url: `${receiver.base}/drill` } });
    await stack.api.request('POST', '/v1/notification-rules', { channelId: channel.id, scope: 'job', jobId: job.jobId, events: ['drill.failed'] });
    // Every pack read back, so the check finds the damage as well as the sample.
    await stack.api.setJobDrill(job.jobId, { readDataPercent: 100 });
    const victim = await addFileInItsOwnPacks(job, 'corrupt-', 6_000_000);
    const pack = victim.packs.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
    chmodSync(pack, 0o600);
    // 64 bytes flipped in the middle of the pack: inside one of the file's blobs.
    const fd = openSync(pack, 'r+');
    const at = Math.floor(statSync(pack).size / 2);
    const bytes = Buffer.alloc(64);
    const read = readFileSync(pack).subarray(at, at + 64);
    for (let i = 0; i < 64; i++) bytes[i] = read[i]! ^ 0xff;
    writeSync(fd, bytes, 0, 64, at);
    closeSync(fd);

    const run = await drill(job.jobId);
    expect(run).toMatchObject({ kind: 'drill', status: 'failed' });
    const packId = pack.split('/').pop()!;
    expect(run.failureReason).toContain(`repository check: restic check: the repository is damaged: pack ${packId}`);
    expect(run.failureReason).toContain(`${victim.path} (`);
    expect(evidenceOf(run).integrity).toMatchObject({ scope: 'restic check --no-lock --read-data-subset=100%', passed: false });
    expect(evidenceOf(run).files!.mismatches[0]!.reason).toMatch(/ciphertext verification failed/);
    expect(scratchLeft('local')).toEqual([]);

    const delivered = await waitFor('the drill.failed notification', async () => receiver.to('/drill')[0], 60_000);
    const message = JSON.parse(delivered.body.toString('utf8')) as { event: string; title: string; text: string };
    expect(message).toMatchObject({ event: 'drill.failed', title: 'Restore drill of job drill-corrupt on local failed' });
    expect(message.text).toContain(victim.path);
  });
});

describe('a drill of database dumps', () => {
  const pgQuery = (database: string, sql: string) => queryDatabase(dbPg, database, sql);

  async function jobWithDump(database: string) {
    const config = await stack.api.request<{ id: number }>('POST', '/v1/agents/local/plugin-configs', {
      name: `drill-${database}`,
      plugin: 'pg_dump',
      settings: { host: '127.0.0.1', port: dbPg.port, user: 'postgres', mode: 'stream', databases: [database] },
    });
    const source = join(work, `db-${database}-src`);
    mkdirSync(source, { recursive: true });
    writeFileSync(join(source, 'a.txt'), `files beside ${database}\n`);
    const repo = await stack.api.createRepository({ name: `drill-db-${database}`, url: join(work, `db-${database}-repo`), password: PASSWORD });
    const job = await stack.api.createJob({ name: `drill-db-${database}`, agent: 'local', repositoryId: repo.id, paths: [source] });
    await stack.api.request('PUT', `/v1/jobs/${job.id}/plugins`, { configIds: [config.id] });
    const backup = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 180_000 });
    expect(backup.status).toBe('succeeded');
    return { jobId: job.id, configId: config.id };
  }

  const scratchDatabases = async () => (await pgQuery('postgres', "SELECT datname FROM pg_database WHERE datname LIKE 'backstop_drill_%'")).map((r) => r.datname);

  it('restores a dump into a scratch database, counts its rows, runs the probe query and drops it', async () => {
    await pgQuery('postgres', 'CREATE DATABASE shop');
    await pgQuery('shop', "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 1500) g; CREATE TABLE empty_one (x int)");
    const { jobId, configId } = await jobWithDump('shop');
    await stack.api.setJobDrill(jobId, { probes: { [String(configId)]: 'SELECT count(*) FROM items WHERE id <= 10' } });

    const run = await drill(jobId);
    expect(run).toMatchObject({ status: 'succeeded', failureReason: null, warnings: [] });
    const [db] = evidenceOf(run).databases;
    expect(db).toMatchObject({
      configId,
      plugin: 'pg_dump',
      path: `/backstop/pg_dump/config-${configId}/shop.dump`,
      status: 'passed',
      tables: [{ name: 'public.empty_one', rows: 0 }, { name: 'public.items', rows: 1500 }],
      probe: { query: 'SELECT count(*) FROM items WHERE id <= 10', output: ['10'] },
      error: null,
    });
    expect(db!.scratchDatabase).toMatch(/^backstop_drill_[0-9a-f]{8}_0$/);
    expect(await scratchDatabases()).toEqual([]);
  });

  it('fails naming a dump pg_restore cannot load, and leaves no scratch database', async () => {
    // pg_dump writes this database without complaint; its restore cannot load it: the check
    // constraint calls a function whose body names a table without its schema, and
    // pg_restore runs with an empty search_path (a classic unrestorable dump).
    await pgQuery('postgres', 'CREATE DATABASE brittle');
    await pgQuery(
      'brittle',
      "CREATE TABLE parent (id int PRIMARY KEY); CREATE FUNCTION parent_exists(i int) RETURNS boolean LANGUAGE sql AS 'SELECT EXISTS (SELECT 1 FROM parent WHERE id = i)'; " +
        'CREATE TABLE child (x int CHECK (parent_exists(x))); INSERT INTO parent VALUES (1), (2); INSERT INTO child VALUES (1), (2)',
    );
    const { jobId, configId } = await jobWithDump('brittle');
    const run = await drill(jobId);
    expect(run).toMatchObject({ status: 'failed' });
    const path = `/backstop/pg_dump/config-${configId}/brittle.dump`;
    expect(run.failureReason).toContain(`1 of 1 database dumps did not restore: ${path} (the dump does not restore: pg_restore failed: pg_restore: error: COPY failed for table "child"`);
    expect(evidenceOf(run).files!.mismatches).toEqual([]);
    expect(await scratchDatabases()).toEqual([]);
  });
});

describe('a drill of a MariaDB dump in directory mode', () => {
  let maria: MariaDb;
  beforeAll(async () => {
    maria = await startMariaDb();
    maria.sql("CREATE USER 'drill'@'%' IDENTIFIED BY 'drill-pass'; GRANT ALL ON *.* TO 'drill'@'%'");
    maria.sql('CREATE DATABASE mshop; CREATE TABLE mshop.orders (id int PRIMARY KEY, total decimal(8,2)) ENGINE=InnoDB; CREATE TABLE mshop.notes (n text) ENGINE=InnoDB');
    maria.sql(`INSERT INTO mshop.orders VALUES ${Array.from({ length: 250 }, (_, i) => `(${i + 1}, ${i}.50)`).join(', ')}`);
  });
  afterAll(async () => {
    await maria?.stop();
  });

  it('finds the dump file in the files snapshot, restores it into a scratch database, counts its rows and drops it', async () => {
    const config = await stack.api.request<{ id: number }>('POST', '/v1/agents/local/plugin-configs', {
      name: 'drill-mshop',
      plugin: 'mysql_dump',
      settings: { host: '127.0.0.1', port: maria.port, user: 'drill', databases: ['mshop'], mode: 'directory' },
      secrets: { password: 'drill-pass' },
    });
    const source = join(work, 'mshop-src');
    mkdirSync(source, { recursive: true });
    writeFileSync(join(source, 'a.txt'), 'beside the dump\n');
    const repo = await stack.api.createRepository({ name: 'drill-mshop', url: join(work, 'mshop-repo'), password: PASSWORD });
    const job = await stack.api.createJob({ name: 'drill-mshop', agent: 'local', repositoryId: repo.id, paths: [source] });
    await stack.api.request('PUT', `/v1/jobs/${job.id}/plugins`, { configIds: [config.id] });
    await stack.api.setJobDrill(job.id, { probes: { [String(config.id)]: 'SELECT max(id) FROM orders' } });
    const backup = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 180_000 });
    expect(backup.status).toBe('succeeded');

    const run = await drill(job.id);
    expect(run).toMatchObject({ status: 'succeeded', failureReason: null });
    const [db] = evidenceOf(run).databases;
    expect(db).toMatchObject({
      configId: config.id,
      plugin: 'mysql_dump',
      path: join(stack.dir, 'data', 'agents', 'local', 'plugin-work', backup.id, String(config.id), 'mysql_dump', 'mshop.sql'),
      snapshotId: backup.snapshotId,
      status: 'passed',
      tables: [{ name: 'notes', rows: 0 }, { name: 'orders', rows: 250 }],
      probe: { query: 'SELECT max(id) FROM orders', output: ['250'] },
    });
    expect(maria.sql("SHOW DATABASES LIKE 'backstop\\_drill\\_%'").trim()).toBe('');
  });
});

describe('where a drill restores', () => {
  it('restores the sample on another agent when asked', async () => {
    const job = await backedUpJob('drill-elsewhere');
    await stack.startAgent('restore-test');
    const run = await drill(job.jobId, { agent: 'restore-test' });
    expect(run).toMatchObject({ status: 'succeeded', agentName: 'restore-test' });
    expect(evidenceOf(run).files).toMatchObject({ restoredOn: 'restore-test', mismatches: [] });
    expect(scratchLeft('restore-test')).toEqual([]);
    expect(await problemOf(stack.api.runJobDrill(job.jobId, { agent: 'nobody' }))).toMatchObject({ status: 400, problem: expect.objectContaining({ detail: expect.stringContaining('unknown agent "nobody"') }) });
  });

  it('restores a pull job\'s sample on the server worker, whose agent never holds the password', async () => {
    const job = await backedUpJob('drill-pull', { mode: 'pull' });
    const run = await drill(job.jobId);
    expect(run).toMatchObject({ status: 'succeeded' });
    expect(evidenceOf(run).files).toMatchObject({ restoredOn: 'server', mismatches: [] });
    const scratch = join(stack.dir, 'data', 'server', 'drills');
    expect(existsSync(scratch) ? readdirSync(scratch) : []).toEqual([]);
  });

  it('drills a borg repository with the data of its newest archive verified', async () => {
    const job = await backedUpJob('drill-borg', { engine: 'borg' });
    const run = await drill(job.jobId);
    expect(run).toMatchObject({ status: 'succeeded', failureReason: null });
    expect(evidenceOf(run).integrity).toMatchObject({ engine: 'borg', scope: 'borg check --verify-data --last 1', passed: true });
    expect(evidenceOf(run).files).toMatchObject({ candidates: 16, filesChecked: 16, mismatches: [] });
  });

  it('refuses a PBS repository with 400, before any run starts', async () => {
    // Registered directly: the API would reach for a PBS server to open it.
    const { rows: repos } = await stack.catalog.db.query(`INSERT INTO repositories (name, url, password_sealed, engine) VALUES ('drill-pbs', 'u@pbs!t@pbs.invalid:ds', 'sealed', 'pbs') RETURNING id`);
    const repositoryId = Number((repos[0] as { id: string }).id);
    const { rows: jobs } = await stack.catalog.db.query(
      `INSERT INTO jobs (name, agent_id, repository_id, paths, mode) SELECT 'drill-pbs', id, $1, '{/srv}', 'pull' FROM agents WHERE name = 'local' RETURNING id`,
      [repositoryId],
    );
    const jobId = Number((jobs[0] as { id: string }).id);
    const refused = await problemOf(stack.api.runJobDrill(jobId));
    expect(refused).toMatchObject({ status: 400, problem: expect.objectContaining({ detail: expect.stringContaining('pbs repositories cannot be drilled') }) });
    const { rows: runs } = await stack.catalog.db.query(`SELECT id FROM runs WHERE job_id = $1`, [jobId]);
    expect(runs).toEqual([]);
  });
});
