// README command 1's stack, `backstop up`, as an operator lives with it: a data directory
// from an earlier Backstop (catalog in PGlite) copied into the private PostgreSQL; the sample
// backup and restore; a crashed API restarted while the rest keeps serving; a revoked local
// agent kept down with the way back in the log; a launcher killed with -9 leaving nothing
// running; a stale postmaster.pid on the next start; a clean Ctrl-C; the web console it
// prints, in a real browser, showing the sample job.
import { existsSync, mkdirSync, mkdtempSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../support/wait';
import { restic } from '../support/restic';
import { adminTokenOf, childrenOf, freeUpPorts, processesOfDataDir as processesIn, startUp as startUpIn, stopUp, untilUp, type Up, type UpPorts } from '../support/up';
import { writePgliteCatalog } from '../support/pglite-catalog';
import { ApiClient } from '../../core/api-client';
import { loadMasterKey, SecretBox } from '../../core/secrets';
import { createPool } from '../../catalog/db';
import { Catalog } from '../../catalog/catalog';
import { embeddedPostgresLayout } from '../../workers/embedded/embedded-postgres';
import { openBrowser } from '../support/browser';
import { ROOT } from '../support/tools';
import { removeWorkDir } from '../support/work-dir';

jest.setTimeout(600_000);

let dataDir: string;
let ports: UpPorts;
let running: Up | undefined;

/** The agent notices a revocation on its next heartbeat. */
const startUp = (args: string[] = []): Up => (running = startUpIn(dataDir, ports, args, { BACKSTOP_AGENT_HEARTBEAT_MS: '1000', BACKSTOP_VALIDATE_RESPONSES: '1' }));
const processesOfDataDir = () => processesIn(dataDir);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'backstop-up-'));
  mkdirSync(join(ROOT, '.artifacts', 'console'), { recursive: true });
  ports = await freeUpPorts();
});

afterAll(async () => {
  await stopUp(running);
  // Last: every process that wrote there has stopped.
  removeWorkDir(dataDir);
});

describe('backstop up', () => {
  let adminToken: string;
  let pgliteRepository: { id: number; name: string };

  it('copies an earlier PGlite catalog into its PostgreSQL, then backs up and restores the sample', async () => {
    // What an earlier Backstop left in data/: its master key and a PGlite catalog one
    // migration behind this code's.
    const key = loadMasterKey(undefined, join(dataDir, 'master.key'));
    const old = await writePgliteCatalog(join(dataDir, 'catalog'), key, { upTo: 9, repositoryUrl: join(dataDir, 'repos', 'old') });
    pgliteRepository = old.repository;

    const up = startUp();
    // Both samples: push, then its pull-mode twin, each restored and compared; then a drill of the push sample.
    await untilUp(up, /Pull mode: +run \S+ succeeded[^\n]*\n +Restore check: \d+ files restored byte-equal[^\n]*\n +Restore drill: run \S+ \w+/);
    expect(up.out()).toMatch(/Restore drill: run \S+ succeeded: 20 sampled files \(\d+ bytes\) compared with the snapshot, restic check --no-lock --read-data-subset=5% passed/);
    expect(up.out()).toMatch(/Sample backup: run \S+ succeeded/);
    expect(up.out()).toMatch(/copied the PGlite catalog \(migration 9, \d+ rows\) into PostgreSQL/);
    expect(existsSync(join(dataDir, 'catalog'))).toBe(false);
    expect(up.out()).toContain(`Catalog:      PostgreSQL in ${join(dataDir, 'postgres')} (socket only)`);
    adminToken = adminTokenOf(up);

    // The old catalog's token and repository work on the new one, and ids continue after them.
    const oldApi = new ApiClient(`http://127.0.0.1:${ports.api}`, old.adminToken);
    const repos = await oldApi.listRepositories();
    expect(repos.find((r) => r.name === old.repository.name)).toMatchObject({ id: old.repository.id, url: old.repository.url });
    const sample = repos.find((r) => r.name === 'sample')!;
    expect(sample.id).toBeGreaterThan(old.repository.id);

    // The catalog listens on its socket only, and the sample repository is sound.
    const pool = createPool(embeddedPostgresLayout(dataDir).databaseUrl, 1);
    const catalog = new Catalog(pool);
    const box = SecretBox.fromKey(key);
    expect(box.open(await catalog.repositories.sealedPassword(old.repository.id), `repository:${old.repository.id}`)).toBe(old.repository.password);
    const password = box.open(await catalog.repositories.sealedPassword(sample.id), `repository:${sample.id}`);
    await pool.end();
    const snapshotId = /snapshot ([0-9a-f]{64})/.exec(up.out())![1]!;
    const snaps = JSON.parse(await restic(join(dataDir, 'repos', 'sample'), password, ['snapshots', '--json'])) as Array<{ id: string }>;
    expect(snaps.map((s) => s.id)).toEqual([snapshotId]);
    await restic(join(dataDir, 'repos', 'sample'), password, ['check']);
  });

  it("prints the web console's URL, where the sample job is on the dashboard", async () => {
    const url = /Console: +(http:\/\/\S+\/ui\/)/.exec(running!.out())?.[1];
    expect(url).toBe(`http://127.0.0.1:${ports.api}/ui/`);
    const browser = await openBrowser();
    try {
      await browser.page.goto(url!);
      await browser.page.fill('input[name="token"]', adminToken);
      await browser.page.click('button[type="submit"]');
      await browser.page.locator('tr[data-job="sample"] span.status-succeeded').waitFor();
      await browser.page.screenshot({ path: join(ROOT, '.artifacts', 'console', 'embedded-dashboard.png'), fullPage: true });
      expect(browser.offsite).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('restarts a crashed API while the rest keeps running', async () => {
    const up = running!;
    const before = childrenOf(up.proc.pid!);
    const apiProc = before.find((p) => / api$/.test(p.cmd))!;
    const others = before.filter((p) => p.pid !== apiProc.pid).map((p) => p.pid);
    expect(others).toHaveLength(4); // temporal, catalog, server worker, agent
    process.kill(apiProc.pid, 'SIGKILL');
    await untilUp(up, /api exited unexpectedly \(signal SIGKILL\); restart 1 in 1 s/);
    const api = new ApiClient(`http://127.0.0.1:${ports.api}`, adminToken);
    await api.waitUntilHealthy(120_000);
    expect((await api.listRepositories()).length).toBeGreaterThanOrEqual(2);
    // Nothing else was restarted.
    const after = childrenOf(up.proc.pid!).map((p) => p.pid);
    for (const pid of others) expect(after).toContain(pid);
  });

  it('keeps a revoked local agent down, says how to bring it back, and keeps serving', async () => {
    const up = running!;
    const api = new ApiClient(`http://127.0.0.1:${ports.api}`, adminToken);
    await api.revokeAgent('local');
    await untilUp(up, /agent exited \(code 3\) and stays down: the API refused the local agent "local" \(revoked\)\..*delete .*agent-local\.token/);
    expect(childrenOf(up.proc.pid!).some((p) => / agent$/.test(p.cmd))).toBe(false);
    expect((await api.listAgents()).find((a) => a.name === 'local')?.status).toBe('revoked');
    expect((await api.listRepositories()).length).toBeGreaterThanOrEqual(2);
    expect(up.proc.exitCode).toBeNull();
  });

  it('leaves nothing running when the launcher is killed with -9', async () => {
    const up = running!;
    expect(processesOfDataDir().length).toBeGreaterThan(1);
    up.proc.kill('SIGKILL');
    await up.exited;
    await waitFor('every process of the stack to be gone', async () => processesOfDataDir().length === 0, 60_000, 200);
  });

  it('starts again over a stale postmaster.pid, with the catalog it had and the agent back on a new token', async () => {
    // A postmaster.pid whose PID now belongs to another program (this test's own process).
    const pidFile = join(dataDir, 'postgres', 'postmaster.pid');
    writeFileSync(pidFile, `${process.pid}\n${join(dataDir, 'postgres')}\n1700000000\n5432\n`);
    // The operator's way back for the revoked agent: a new token.
    const tokenFile = join(dataDir, 'agent-local.token');
    unlinkSync(tokenFile);

    const up = startUp(['--no-sample']);
    await untilUp(up, /Backstop is up\./);
    expect(up.out()).not.toMatch(/made the catalog's PostgreSQL cluster/);
    const api = new ApiClient(`http://127.0.0.1:${ports.api}`, adminToken);
    expect((await api.listRepositories()).map((r) => r.name)).toEqual(expect.arrayContaining([pgliteRepository.name, 'sample']));
    await waitFor('the local agent reachable again', async () => (await api.listAgents()).find((a) => a.name === 'local')?.status === 'reachable', 120_000, 500);

    up.proc.kill('SIGINT');
    expect(await up.exited).toBe(0);
    expect(up.out()).toContain('backstop: stopping');
    // What the launcher SIGKILLed last may still be on its way out on a loaded machine; a leak stays.
    await waitFor('every process of the stack to be gone', async () => processesOfDataDir().length === 0, 60_000, 200);
  });
});
