// Benchmark: a PostgreSQL database streamed into the repository by Backstop's pg_dump plugin
// (restic --stdin-from-command, no file on disk) against the usual two steps,
// `pg_dump -Fc > file && restic backup file` (issue 5).
//
// One run, on a generated database (default 1 GiB of table data; BENCH_SIZE_MB shrinks it):
//   - plain: pg_dump into a file, then restic backup of that file, into a fresh repository;
//   - restic stdin: restic backup --stdin-from-command pg_dump, no Backstop (for reference);
//   - Backstop: a job with a pg_dump configuration in stream mode on the real stack, from
//     POST /v1/jobs/{id}/run to the workflow's result, into another fresh repository.
// Each side writes to its own new repository, so none profits from another's deduplication.
// The ratio printed is Backstop / plain. Exits non-zero only on errors.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { projectToolsFirstOnPath } from '../support/lifecycle';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { startPostgres, type Postgres } from '../../test/support/postgres';
import { startStack, type Stack } from '../../test/support/stack';
import { backupArgs, initArgs, resticEnv } from '../../activities/shared/engines/restic/args';
import { pgDumpArgs, pgEnv } from '../../activities/shared/plugins/db/postgres-commands';
import { runProcess } from '../../activities/shared/process';
import type { BackupWorkflowResult } from '../../contract/workflows';

const ROOT = resolve(__dirname, '..', '..');
const RESTIC = join(ROOT, '.tools', 'bin', 'restic');
const PASSWORD = 'db-dump-bench-password';
const ROW_BYTES = 170;

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

async function must(what: string, p: ReturnType<typeof runProcess>): Promise<void> {
  const r = await p;
  if (r.exitCode !== 0) throw new Error(`${what} failed (exit ${r.exitCode}): ${r.stderrTail.slice(-500)}`);
}

async function main(): Promise<void> {
  projectToolsFirstOnPath();
  const sizeMb = envInt('BENCH_SIZE_MB', 1024);
  const work = mkdtempSync(join(tmpdir(), 'backstop-bench-db-'));
  let catalog: Postgres | undefined;
  let db: Postgres | undefined;
  let stack: Stack | undefined;
  try {
    [catalog, db] = await Promise.all([startPostgres(), startPostgres({ password: 'bench-db-password' })]);
    const url = new URL(db.url);
    const admin = new Client({ connectionString: url.toString() });
    await admin.connect();
    await admin.query('CREATE DATABASE bench');
    await admin.end();
    url.pathname = '/bench';
    const c = new Client({ connectionString: url.toString() });
    await c.connect();
    const rows = Math.ceil((sizeMb * 2 ** 20) / ROW_BYTES);
    log(`generating ${rows} rows (~${sizeMb} MiB)`);
    // Random hex: pg_dump's compression halves it, as it would real text; not all zeros.
    await c.query(`CREATE TABLE items (id bigint PRIMARY KEY, payload text NOT NULL)`);
    const batch = 500_000;
    for (let from = 1; from <= rows; from += batch) {
      await c.query(`INSERT INTO items SELECT g, md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) FROM generate_series($1::bigint, $2::bigint) g`, [from, Math.min(rows, from + batch - 1)]);
    }
    const size = Number((await c.query(`SELECT pg_database_size('bench') AS s`)).rows[0].s);
    await c.query('CHECKPOINT');
    await c.end();
    log(`database size ${(size / 2 ** 20).toFixed(0)} MiB`);
    const conn = { host: '127.0.0.1', port: db.port, user: 'postgres', password: 'bench-db-password' };

    // Warm the page cache once, unmeasured, so the first measured side does not pay for it.
    await must('warm-up pg_dump', runProcess('pg_dump', pgDumpArgs('bench', join(work, 'warm.dump')), { env: pgEnv(conn) }));
    rmSync(join(work, 'warm.dump'));

    // Plain: pg_dump > file && restic backup file.
    const plainRepo = join(work, 'repo-plain');
    await must('restic init', runProcess(RESTIC, initArgs(), { env: resticEnv(plainRepo, PASSWORD) }));
    const dumpFile = join(work, 'dumps', 'bench.dump');
    mkdirSync(join(work, 'dumps'));
    const t0 = performance.now();
    await must('pg_dump', runProcess('pg_dump', pgDumpArgs('bench', dumpFile), { env: pgEnv(conn) }));
    const dumpMs = performance.now() - t0;
    await must('restic backup', runProcess(RESTIC, backupArgs({ paths: [dumpFile], excludes: [], tags: [], host: 'bench' }), { env: resticEnv(plainRepo, PASSWORD, {}, join(work, 'cache-plain')) }));
    const plainMs = performance.now() - t0;
    const dumpBytes = statSync(dumpFile).size;

    // restic's stdin mode alone, for reference.
    const stdinRepo = join(work, 'repo-stdin');
    await must('restic init', runProcess(RESTIC, initArgs(), { env: resticEnv(stdinRepo, PASSWORD) }));
    const t1 = performance.now();
    const stdinReq = { paths: ['/bench.dump'], excludes: [], tags: [], host: 'bench', stdin: { filename: '/bench.dump', command: ['pg_dump', ...pgDumpArgs('bench')] } };
    await must('restic --stdin-from-command', runProcess(RESTIC, backupArgs(stdinReq), { env: { ...pgEnv(conn), ...resticEnv(stdinRepo, PASSWORD, {}, join(work, 'cache-stdin')) } }));
    const stdinMs = performance.now() - t1;

    // Backstop: a job whose pg_dump configuration streams the database.
    stack = await startStack({ databaseUrl: catalog.url });
    const files = join(work, 'files');
    mkdirSync(files);
    writeFileSync(join(files, 'README'), 'the job needs a path; the database is the point\n');
    const repo = await stack.api.createRepository({ name: 'bench', url: join(work, 'repo-backstop'), password: PASSWORD });
    const job = await stack.api.createJob({ name: 'bench', agent: 'local', repositoryId: repo.id, paths: [files] });
    const config = await stack.api.request<{ id: number }>('POST', '/v1/agents/local/plugin-configs', {
      name: 'bench',
      plugin: 'pg_dump',
      settings: { host: conn.host, port: conn.port, user: conn.user, databases: ['bench'], mode: 'stream' },
      secrets: { password: conn.password },
    });
    await stack.api.request('PUT', `/v1/jobs/${job.id}/plugins`, { configIds: [config.id] });
    const t2 = performance.now();
    const { workflowId } = await stack.api.runJob(job.id);
    const result = (await stack.temporal.workflow.getHandle(workflowId).result()) as BackupWorkflowResult;
    const backstopMs = performance.now() - t2;
    if (result.status !== 'succeeded' || result.streamSnapshotIds?.length !== 1) throw new Error(`Backstop backup ${result.status}: ${result.failureReason}`);

    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(`PostgreSQL database of ${(size / 2 ** 20).toFixed(0)} MiB (custom-format dump ${(dumpBytes / 2 ** 20).toFixed(0)} MiB), one run each, fresh repositories:`);
    console.log(`  pg_dump > file && restic backup file: ${s(plainMs)}   (pg_dump ${s(dumpMs)}, restic ${s(plainMs - dumpMs)}; ${(dumpBytes / 2 ** 20).toFixed(0)} MiB on disk meanwhile)`);
    console.log(`  restic --stdin-from-command pg_dump:  ${s(stdinMs)}   (no Backstop, for reference)`);
    console.log(`  Backstop pg_dump plugin, stream mode: ${s(backstopMs)}   (whole run: plan, lock, dump stream, files snapshot, record)`);
    console.log(`  ratio Backstop / plain: ${(backstopMs / plainMs).toFixed(3)}x`);
  } finally {
    await stack?.stop();
    await Promise.all([catalog?.stop(), db?.stop()]);
    if (process.env.BENCH_KEEP !== '1') rmSync(work, { recursive: true, force: true });
    else log(`kept ${work}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
