// Every ops runbook (docs/runbooks/*.md) is run against the embedded stack (`backstop up`), as
// an operator would run it: its ```sh blocks in order, in one bash per page, with the page's
// variables set to a real job, run, snapshot and agent of a situation the test sets up first.
// A renamed command or flag, or an output a page greps for that changed, fails here.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ApiClient } from '../../core/api-client';
import { runbookBlocks, runbookScript, variablesToProvide, type RunbookBlock } from '../../scripts/runbook-blocks';
import { startPostgres, type Postgres } from '../support/postgres';
import { ROOT } from '../support/tools';
import { adminTokenOf, freeUpPorts, startUp, stopUp, untilUp, type Up, type UpPorts } from '../support/up';
import { waitFor } from '../support/wait';
import { removeWorkDir } from '../support/work-dir';

jest.setTimeout(600_000);

const RUNBOOKS = join(ROOT, 'docs', 'runbooks');
const PAGES = readdirSync(RUNBOOKS).filter((f) => f.endsWith('.md') && f !== 'README.md').sort();

let work: string;
let ports: UpPorts;
let up: Up | undefined;
let api: ApiClient;
let env: Record<string, string> = {};
let dbPg: Postgres | undefined;
/** The pages run so far: the last test checks that none was left out. */
const ran = new Set<string>();

/** (Re)starts `backstop up` on the test's data directory; with `--no-sample` on a restart. */
async function startStack(args: string[], until: RegExp): Promise<void> {
  up = startUp(join(work, 'data'), ports, args, { BACKSTOP_RESTORE_ROOTS: join(work, 'restores') });
  await untilUp(up, until);
}

/** What an operator's restart is: Ctrl-C, then start again; waits until the local agent is back. */
async function restartStack(): Promise<void> {
  expect(await stopUp(up)).toBe(0);
  await startStack(['--no-sample'], /Backstop is up\./);
  await api.waitUntilHealthy(120_000);
  await waitFor('the local agent reachable again', async () => (await api.listAgents()).find((a) => a.name === 'local')?.status === 'reachable', 120_000, 500);
}

function useToken(token: string): void {
  api = new ApiClient(env.BACKSTOP_API_URL!, token);
  env.BACKSTOP_TOKEN = token;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-runbooks-'));
  // The embedded catalog's PostgreSQL runs as its own user, which must reach data/ inside.
  chmodSync(work, 0o755);
  ports = await freeUpPorts();
  mkdirSync(join(work, 'restores'));
  // Both samples (push, then pull) done: the stack is quiet before the pages run.
  await startStack([], /Pull mode: +run \S+ succeeded[^\n]*\n +Restore check: \d+ files restored byte-equal/);
  env = {
    PATH: [join(ROOT, 'bin'), join(ROOT, '.tools', 'bin'), join(ROOT, '.tools', 'venv', 'bin'), process.env.PATH].join(':'),
    HOME: process.env.HOME ?? '/root',
    BACKSTOP_API_URL: `http://127.0.0.1:${ports.api}`,
    // The pages' `data/…` paths and the admin commands' embedded catalog: the stack's data directory.
    BACKSTOP_DATA_DIR: join(work, 'data'),
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
  };
  useToken(adminTokenOf(up!));
});

afterAll(async () => {
  await stopUp(up);
  await dbPg?.stop();
  // Last: every process that wrote there has stopped.
  removeWorkDir(work);
});

/** The page's blocks, after checking it reads no variable it does not list (nor the environment has). */
function pageBlocks(page: string, vars: Record<string, string>, extraEnv: Record<string, string>): RunbookBlock[] {
  const blocks = runbookBlocks(readFileSync(join(RUNBOOKS, page), 'utf8'));
  expect(blocks.filter((b) => !b.manual).length).toBeGreaterThan(0);
  const known = new Set([...Object.keys(env), ...Object.keys(extraEnv), ...Object.keys(vars)]);
  expect(variablesToProvide(blocks).filter((v) => !known.has(v))).toEqual([]);
  ran.add(page);
  return blocks;
}

function runScript(what: string, script: string, vars: Record<string, string>, extraEnv: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('bash', ['-c', script], { cwd: work, env: { ...env, ...extraEnv, ...vars }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${what} failed (${err.message.split('\n')[0]}):\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
      else resolve(stdout);
    });
    child.stdin?.end();
  });
}

/** Runs one page with `vars` in one bash (variables a block sets carry to the next); resolves with its output. */
function runPage(page: string, vars: Record<string, string>, extraEnv: Record<string, string> = {}): Promise<string> {
  return runScript(page, runbookScript(pageBlocks(page, vars, extraEnv)), vars, extraEnv);
}

/**
 * Runs a page block by block, doing after runnable block `i` what its manual block next to it
 * tells the operator to do (`between[i]`: a restart the test performs).
 */
async function runPageInSteps(page: string, vars: Record<string, string>, between: Record<number, () => Promise<void>>): Promise<string> {
  let out = '';
  const runnable = pageBlocks(page, vars, {}).filter((b) => !b.manual);
  for (const [i, block] of runnable.entries()) {
    out += await runScript(`${page} block at line ${block.line}`, runbookScript([block]), vars, {});
    await between[i]?.();
  }
  return out;
}

/** Some file below `dir` (the sample tree keeps its files in subdirectories). */
function firstFile(dir: string): string {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.isFile()) return join(dir, e.name);
    if (e.isDirectory()) {
      try {
        return firstFile(join(dir, e.name));
      } catch {
        /* an empty directory: look further */
      }
    }
  }
  throw new Error(`no file below ${dir}`);
}

const sampleJob = async () => (await api.listJobs()).find((j) => j.name === 'sample')!;
const sampleRepo = async () => (await api.listRepositories()).find((r) => r.name === 'sample')!;

it('run-stuck: a run hanging in its pre-script is found, cancelled and seen cancelled', async () => {
  const repo = await sampleRepo();
  const source = join(work, 'stuck-source');
  mkdirSync(source);
  const job = await api.createJob({ name: 'stuck', agent: 'local', repositoryId: repo.id, paths: [source], preScript: 'sleep 3600' });
  const { runId } = await api.runJob(job.id);
  await waitFor('the run to hang in its pre-script', async () => (await api.getRun(runId)).live?.step === 'pre-script');
  const out = await runPage('run-stuck.md', { RUN: runId });
  expect(out).toContain(runId);
  expect((await api.getRun(runId)).status).toBe('cancelled');
});

it('agent-unreachable: the checks pass on a reachable agent', async () => {
  const out = await runPage('agent-unreachable.md', { AGENT: 'local' });
  expect(out).toMatch(/local.*reachable/);
});

it('prune-lock: the failed prune is inspected, the lock state queried, the prune run again and the repository checked', async () => {
  const repo = await sampleRepo();
  const { runId } = await api.pruneRepository(repo.id);
  await api.waitForRun(runId);
  const out = await runPage('prune-lock.md', { REPO: String(repo.id), RUN: runId });
  expect(out).toMatch(/holders|waiting|granted/i);
  const prunes = (await api.listRunsPage({ kind: 'prune' })).items;
  expect(prunes[0]!.status).toBe('succeeded');
  expect(prunes.length).toBe(2);
});

it('restore-file: one file of the newest snapshot lands in a new directory', async () => {
  const job = await sampleJob();
  const source = job.paths[0]!;
  const file = firstFile(source);
  const target = join(work, 'restores', 'one-file');
  await runPage('restore-file.md', { JOB: String(job.id), FILE: file, TARGET: target });
  expect(readFileSync(join(target, file))).toEqual(readFileSync(file));
});

it('restore-machine: the whole newest snapshot is restored onto the agent', async () => {
  const job = await sampleJob();
  const target = join(work, 'restores', 'machine');
  await runPage('restore-machine.md', { JOB: String(job.id), AGENT: 'local', TARGET: target });
  const source = job.paths[0]!;
  for (const name of readdirSync(source)) expect(existsSync(join(target, source, name))).toBe(true);
});

it('restore-database: a pg_dump stream is restored as a new database', async () => {
  dbPg = await startPostgres();
  const query = async (database: string, sql: string) => {
    const url = new URL(dbPg!.url);
    url.pathname = `/${database}`;
    const c = new Client({ connectionString: url.toString() });
    await c.connect();
    try {
      return (await c.query(sql)).rows as Array<Record<string, unknown>>;
    } finally {
      await c.end();
    }
  };
  await query('postgres', 'CREATE DATABASE shop');
  await query('shop', "CREATE TABLE orders (id int PRIMARY KEY, what text); INSERT INTO orders SELECT g, 'order ' || g FROM generate_series(1, 100) g");
  const repo = await sampleRepo();
  const config = await api.request<{ id: number }>('POST', '/v1/agents/local/plugin-configs', {
    name: 'shop-db',
    plugin: 'pg_dump',
    settings: { host: '127.0.0.1', port: dbPg.port, user: 'postgres', mode: 'stream', databases: ['shop'] },
  });
  const files = join(work, 'db-files');
  mkdirSync(files);
  const job = await api.createJob({ name: 'shop', agent: 'local', repositoryId: repo.id, paths: [files] });
  await api.request('PUT', `/v1/jobs/${job.id}/plugins`, { configIds: [config.id] });
  const { runId } = await api.runJob(job.id);
  expect((await api.waitForRun(runId, { timeoutMs: 300_000 })).status).toBe('succeeded');

  const out = await runPage(
    'restore-database.md',
    { JOB: String(job.id), AGENT: 'local', CONFIG: String(config.id), DB: 'shop', TARGET_DB: 'shop_restored' },
    { PGHOST: '127.0.0.1', PGPORT: String(dbPg.port), PGUSER: 'postgres' },
  );
  expect(out.trim().split('\n').at(-1)).toBe('1');
  expect(await query('shop_restored', 'SELECT count(*)::int AS n FROM orders')).toEqual([{ n: 100 }]);
});

it('check-errors: the last check is read and a new check passes', async () => {
  const repo = await sampleRepo();
  const { runId } = await api.checkRepository(repo.id);
  await api.waitForRun(runId);
  const before = (await api.listRunsPage({ kind: 'check' })).items.length;
  const out = await runPage('check-errors.md', { REPO: String(repo.id) });
  expect(out).toContain(runId);
  // The page read the newest check, then ran one more, which passed.
  const checks = (await api.listRunsPage({ kind: 'check' })).items;
  expect(checks.length).toBe(before + 1);
  expect(checks[0]!.status).toBe('succeeded');
});

it('drill-failed: the newest drill and its evidence are read, and a new drill passes', async () => {
  const job = await sampleJob();
  const { runId } = await api.runJobDrill(job.id);
  await api.waitForRun(runId);
  const drills = async () => (await api.listRunsPage({ jobId: job.id, kind: 'drill' })).items;
  const before = (await drills()).length;
  const out = await runPage('drill-failed.md', { JOB: String(job.id) });
  // The page found that drill and showed its evidence, then drilled once more, which passed.
  expect(out).toContain(runId);
  expect(out).toContain('filesChecked');
  const after = await drills();
  expect(after.length).toBe(before + 1);
  expect(after[0]!.status).toBe('succeeded');
});

it('temporal-down: the cluster answers the health checks', async () => {
  const out = await runPage('temporal-down.md', {});
  expect(out).toMatch(/SERVING/i);
});

it('upgrade: the checks of an upgrade run on an unversioned stack, which has no run pinned to any version', async () => {
  const job = await sampleJob();
  const out = await runPage('upgrade.md', { OLD_BUILD: 'release-old', JOB: String(job.id) });
  // The embedded stack's server worker polls unversioned, and nothing is pinned to a version.
  expect(out).toMatch(/UNVERSIONED\s+workflow/);
  expect(out).toMatch(/^Total: 0$/m);
});

it('rotate-master-key: the stack is restarted with both keys, every secret re-sealed, the old key dropped, and a backup still opens its repository', async () => {
  const job = await sampleJob();
  const keyFile = join(work, 'data', 'master.key');
  const oldKey = readFileSync(keyFile, 'utf8');
  const out = await runPageInSteps('rotate-master-key.md', { JOB: String(job.id) }, { 0: restartStack, 2: restartStack });
  expect(readFileSync(keyFile, 'utf8')).not.toBe(oldKey);
  expect(existsSync(join(work, 'data', 'master.key.previous'))).toBe(false);
  expect(out).toMatch(/secrets now sealed under the current master key/);
  expect((await api.listRunsPage({ kind: 'backup' })).items[0]!.status).toBe('succeeded');
});

it('catalog-lost: after the catalog is gone, the repository is registered again and the rebuild brings its snapshots and job back', async () => {
  // What the lost catalog knew: a job with a snapshot in a repository the operator still has.
  const source = join(work, 'kept-source');
  mkdirSync(source);
  writeFileSync(join(source, 'ledger.txt'), 'kept across the loss of the catalog\n');
  const password = 'kept repository password';
  const repo = await api.createRepository({ name: 'kept', url: join(work, 'kept-repo'), password });
  const job = await api.createJob({ name: 'kept', agent: 'local', repositoryId: repo.id, paths: [source] });
  const run = await api.waitForRun((await api.runJob(job.id)).runId);
  expect(run.status).toBe('succeeded');

  // The loss, on the embedded stack: its PostgreSQL data gone; the local agent registers again.
  expect(await stopUp(up)).toBe(0);
  renameSync(join(work, 'data', 'postgres'), join(work, 'lost-postgres'));
  unlinkSync(join(work, 'data', 'agent-local.token'));
  await startStack(['--no-sample'], /Backstop is up\./);
  useToken(adminTokenOf(up!));
  await waitFor('the local agent registered in the new catalog', async () => (await api.listAgents()).find((a) => a.name === 'local')?.status === 'reachable', 120_000, 500);
  expect(await api.listJobs()).toEqual([]);

  const out = await runPage('catalog-lost.md', { REPO_NAME: 'kept', REPO_URL: join(work, 'kept-repo'), REPO_PASSWORD: password });
  expect(out).toContain(`recovered-job-${job.id}`);
  expect((await api.listSnapshots(job.id)).map((s) => s.id)).toEqual([run.snapshotId]);
  expect((await api.getJob(job.id)).paths).toEqual([source]);
});

// Last: it revokes the embedded stack's only agent.
it('replace-agent: the old identity is revoked and a one-use enrollment token made for its name', async () => {
  const out = await runPage('replace-agent.md', { AGENT: 'local' });
  expect(out).toMatch(/^bsb_\S+$/m);
  expect((await api.listAgents()).find((a) => a.name === 'local')!.status).toBe('revoked');
  const tokens = await api.listAgentTokens();
  expect(tokens.some((t) => t.agentName === 'local' && t.maxUses === 1)).toBe(true);
});

it('left no runbook out', () => {
  expect([...ran].sort()).toEqual(PAGES);
});
