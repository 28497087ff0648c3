// Benchmark: the web console's dashboard with many jobs (issue 20: 500 jobs in under 1 s).
//
// Starts the real stack, creates one repository and BENCH_JOBS (500) jobs through the API,
// and gives each job 30 finished backups (rows written straight into the catalog: what is
// measured is the console reading and drawing them, not restic). Then Debian's Chromium,
// headless, signs in and loads the dashboard BENCH_LOADS (5) times; each load is timed from
// the navigation's start until every job's row is in the page, and split into the API's
// answers (resource timing of the four /v1 requests) and the rest (script, render).
// Also prints the built bundle's gzipped size. Prints, asserts nothing: MISS marks a missed
// target, and only an error fails the process.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { envInt, log, projectToolsFirstOnPath, runBench, tearDown } from '../support/lifecycle';
import { startPostgres, type Postgres } from '../../test/support/postgres';
import { startStack, type Stack } from '../../test/support/stack';
import { openBrowser, type BrowserSession, type PageGlobals } from '../../test/support/browser';
import { ROOT } from '../../test/support/tools';

const TARGET_MS = 1_000;
const BUDGET_KIB = 300;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** The built console's files, gzipped (what a browser downloads on its first visit). */
function bundleGzipKib(): number {
  const dir = join(ROOT, 'dist', 'console');
  const files = [join(dir, 'index.html'), ...readdirSync(join(dir, 'assets')).map((f) => join(dir, 'assets', f))];
  return files.reduce((sum, f) => sum + gzipSync(readFileSync(f), { level: 9 }).length, 0) / 1024;
}

async function createJobs(stack: Stack, count: number, work: string): Promise<void> {
  const repo = await stack.api.createRepository({ name: 'bench', url: join(work, 'repo'), password: 'bench console password' });
  let next = 0;
  // A few at a time: each job also gets its drill schedule in Temporal.
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < count) {
        const i = next++;
        await stack.api.createJob({ name: `job-${String(i).padStart(3, '0')}`, agent: 'local', repositoryId: repo.id, paths: [join(work, 'data', String(i))] });
      }
    }),
  );
  // 30 finished backups a job, hourly, one in seven failed.
  await stack.catalog.db.query(`
    INSERT INTO runs (id, job_id, kind, workflow_id, repository_id, agent_name, status, engine_site, started_at, finished_at, stats)
    SELECT gen_random_uuid(), j.id, 'backup', 'backup/' || j.id || '/bench-' || n, j.repository_id, (SELECT a.name FROM agents a WHERE a.id = j.agent_id), CASE WHEN (j.id + n) % 7 = 0 THEN 'failed' ELSE 'succeeded' END, 'agent',
           now() - make_interval(hours => n), now() - make_interval(hours => n) + interval '2 minutes',
           jsonb_build_object('filesNew', 1, 'filesChanged', 0, 'filesUnmodified', 0, 'dirsNew', 0, 'dirsChanged', 0, 'dirsUnmodified', 0, 'dataAdded', 1048576 * n, 'totalFilesProcessed', 10, 'totalBytesProcessed', 10485760, 'durationSeconds', 120)
      FROM jobs j CROSS JOIN generate_series(1, 30) AS n`);
}

async function main(): Promise<void> {
  projectToolsFirstOnPath();
  const jobs = envInt('BENCH_JOBS', 500, 1);
  const loads = envInt('BENCH_LOADS', 5, 1);
  const work = mkdtempSync(join(tmpdir(), 'backstop-bench-console-'));
  let pg: Postgres | undefined;
  let stack: Stack | undefined;
  let browser: BrowserSession | undefined;
  try {
    pg = await startPostgres();
    stack = await startStack({ databaseUrl: pg.url });
    log(`creating ${jobs} jobs with 30 backups each`);
    const t0 = Date.now();
    await createJobs(stack, jobs, work);
    log(`created in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const token = await stack.catalog.identity.createToken({ name: 'bench', scope: 'admin' });
    browser = await openBrowser();
    const page = browser.page;
    const url = `${stack.api.baseUrl}/ui/`;
    await page.goto(url);
    await page.fill('input[name="token"]', token);
    await page.click('button[type="submit"]');
    await page.locator('table.jobs-health').waitFor({ timeout: 60_000 });

    const totals: number[] = [];
    const apis: number[] = [];
    for (let i = 0; i < loads; i++) {
      await page.goto('about:blank');
      await page.goto(url);
      // The time since navigation start once every row is drawn, read in the page.
      const handle = await page.waitForFunction(
        (n) => {
          const g = globalThis as unknown as PageGlobals;
          return g.document.querySelectorAll('table.jobs-health tbody tr').length >= n ? g.performance.now() : null;
        },
        jobs,
        { timeout: 60_000, polling: 'raf' },
      );
      const total = (await handle.jsonValue()) as number;
      const api = await page.evaluate(() => {
        const v1 = (globalThis as unknown as PageGlobals).performance.getEntriesByType('resource').filter((e) => e.name.includes('/v1/') && !e.name.endsWith('/v1/session'));
        return Math.max(...v1.map((e) => e.responseEnd)) - Math.min(...v1.map((e) => e.startTime));
      });
      totals.push(total);
      apis.push(api);
      log(`load ${i + 1}: ${total.toFixed(0)} ms (API answers ${api.toFixed(0)} ms)`);
    }
    const m = median(totals);
    const gz = bundleGzipKib();
    console.log(`console dashboard, ${jobs} jobs with 30 runs each, ${loads} loads in headless Chromium:`);
    console.log(`  navigation start to every row drawn: median ${m.toFixed(0)} ms, min ${Math.min(...totals).toFixed(0)}, max ${Math.max(...totals).toFixed(0)} (target < ${TARGET_MS} ms) ${m < TARGET_MS ? 'ok' : 'MISS'}`);
    console.log(`  of which the API's four answers (first request to last byte): median ${median(apis).toFixed(0)} ms`);
    console.log(`  bundle: ${gz.toFixed(1)} KiB gzipped (budget < ${BUDGET_KIB} KiB) ${gz < BUDGET_KIB ? 'ok' : 'MISS'}`);
    console.log(`  requests off this machine: ${browser.offsite.length}`);
  } finally {
    await browser?.close();
    await tearDown({ stack, pg, work });
  }
}

runBench(main);
