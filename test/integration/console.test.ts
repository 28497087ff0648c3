// The web console in a real browser (Debian's Chromium, headless, via playwright-core) on the
// real stack: sign in with a token, create a repository and a job with the console's forms,
// run the job and watch its progress reach 100 %, browse the snapshot and download a file,
// restore a file (every restore waits for approval here), approve it and find the file on
// disk, reject a restore of the whole snapshot and approve another, cancel a running backup;
// set a job's and a repository's schedules, edit channels and plugin configurations (their
// secrets never on the page), route events with rules. Each change is also read back through
// the API. A screenshot of each page goes to .artifacts/console/.
// Waits are on what the page shows (its data-* attributes and texts), never fixed sleeps.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Stack } from '../support/stack';
import { openBrowser, type BrowserSession, type PageGlobals } from '../support/browser';
import { writeRandomFiles } from '../support/random-files';
import { ROOT } from '../support/tools';
import { removeWorkDir } from '../support/work-dir';
import { problemOf } from '../support/problem';
import { waitFor } from '../support/wait';

jest.setTimeout(300_000);

const SHOTS = join(ROOT, '.artifacts', 'console');
let pg: Postgres;
let stack: Stack;
let browser: BrowserSession;
let page: Page;
let work: string;
let token: string;
let consoleUrl: string;

/**
 * restic with its upload capped at 4 MiB/s, so a backup of a few dozen MiB lasts long enough
 * for the page to show progress below 100 % and for a cancel to land mid-engine.
 */
const CAPPED_RESTIC = `#!/bin/sh
exec restic --limit-upload 4096 "$@"
`;

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** The run page's status, as the page shows it (section[data-status]). */
async function waitForRunStatus(status: string, timeout = 180_000): Promise<void> {
  await page.locator(`section.run[data-status="${status}"]`).waitFor({ timeout });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-console-'));
  mkdirSync(SHOTS, { recursive: true });
  const wrapper = join(work, 'restic-capped');
  writeFileSync(wrapper, CAPPED_RESTIC, { mode: 0o755 });
  mkdirSync(join(work, 'restores'));
  pg = await startPostgres();
  stack = await startStack({
    databaseUrl: pg.url,
    env: {
      BACKSTOP_RESTIC: wrapper,
      // Heartbeats (and so the page's progress) every 4 s instead of 24 s.
      BACKSTOP_ENGINE_HEARTBEAT_TIMEOUT_MS: '5000',
      BACKSTOP_CANCEL_GRACE_MS: '3000',
      // Every restore waits for an operator: the console's approval flow on an ordinary restore.
      BACKSTOP_RESTORE_APPROVAL: 'always',
      BACKSTOP_RESTORE_ROOTS: join(work, 'restores'),
      BACKSTOP_TEMPORAL_UI_URL: 'http://127.0.0.1:8233',
    },
  });
  token = await stack.catalog.identity.createToken({ name: 'console operator', scope: 'admin' });
  consoleUrl = `${stack.api.baseUrl}/ui/`;
  browser = await openBrowser();
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await pg?.stop();
  // Last: every process that wrote there has stopped.
  removeWorkDir(work);
});

describe('the web console', () => {
  it('signs in with a token into an HttpOnly, SameSite=Strict cookie, keeps no token in storage, and refuses a write without the CSRF token', async () => {
    await page.goto(consoleUrl);
    await page.locator('input[name="token"]').waitFor();
    await shot('sign-in');
    await page.fill('input[name="token"]', 'bst_not-a-token');
    await page.click('button[type="submit"]');
    await page.locator('.form-error').waitFor();
    expect(await page.locator('.form-error').textContent()).toContain('admin token');

    await page.fill('input[name="token"]', token);
    await page.click('button[type="submit"]');
    await page.locator('header .who', { hasText: 'console operator' }).waitFor();
    await page.locator('table.jobs-health').waitFor();

    const cookies = await browser.context.cookies();
    expect(cookies).toEqual([expect.objectContaining({ name: 'backstop_session', httpOnly: true, sameSite: 'Strict' })]);
    expect(cookies[0]!.value).not.toContain(token);
    const storage = await page.evaluate(() => {
      const g = globalThis as unknown as PageGlobals;
      return { local: g.localStorage.length, session: g.sessionStorage.length, cookie: g.document.cookie };
    });
    expect(storage).toEqual({ local: 0, session: 0, cookie: '' });
    // The cookie alone does not change anything: a forged request without the CSRF token is refused.
    const forged = await page.evaluate(async () => {
      const r = await fetch('/v1/agent-tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      return { status: r.status, body: (await r.json()) as { type: string } };
    });
    expect(forged).toMatchObject({ status: 403, body: { type: 'ForbiddenError' } });
    await shot('dashboard-empty');
  });

  it('creates a repository and a job with its forms, showing a validation error at its field', async () => {
    await page.goto(`${consoleUrl}#/repositories`);
    const repoForm = page.locator('form[data-form="create-repository"]');
    await repoForm.locator('input[name="name"]').fill('console-repo');
    await repoForm.locator('input[name="url"]').fill(join(work, 'repo'));
    // No password: the API's problem+json names body/password; the page puts it at that field.
    await repoForm.locator('button[type="submit"]').click();
    await repoForm.locator('[data-field="password"] .field-error').waitFor();
    await shot('repository-validation-error');
    await repoForm.locator('input[name="password"]').fill('a console passphrase');
    await repoForm.locator('button[type="submit"]').click();
    await page.locator('tr[data-repository="console-repo"]').waitFor();
    await shot('repositories');

    const dataset = join(work, 'dataset');
    writeRandomFiles(dataset, 12, 4 * 1024 * 1024);
    writeFileSync(join(dataset, 'notes.txt'), 'restore me through the console\n');
    await page.goto(`${consoleUrl}#/jobs`);
    const jobForm = page.locator('form[data-form="create-job"]');
    await jobForm.locator('select[name="repositoryId"] option', { hasText: 'console-repo' }).waitFor({ state: 'attached' });
    await jobForm.locator('input[name="name"]').fill('console-job');
    await jobForm.locator('textarea[name="paths"]').fill(dataset);
    // Its output reaches the run log, which the run page follows live.
    await jobForm.locator('input[name="postHook"]').fill('echo "post hook says job $BACKSTOP_JOB_ID"');
    await jobForm.locator('button[type="submit"]').click();
    await page.locator('tr[data-job="console-job"]').waitFor();
    await shot('jobs');
  });

  it('runs the job and shows its progress, steps and log until 100 %', async () => {
    await page.locator('tr[data-job="console-job"] button', { hasText: 'Run now' }).click();
    await page.locator('section.run').waitFor();
    // A heartbeat while the run is still running: the page shows a percentage (restic counts
    // bytes as it reads them, ahead of the capped upload, so it may already say 100).
    const midway = await page.waitForFunction(
      () => {
        const { document } = globalThis as unknown as PageGlobals;
        const status = document.querySelector('section.run')?.getAttribute('data-status');
        const p = document.querySelector('.progress')?.getAttribute('data-percent');
        return status === 'running' && p ? Number(p) : null;
      },
      null,
      { timeout: 180_000, polling: 100 },
    );
    expect(await midway.jsonValue()).toBeGreaterThanOrEqual(0);
    expect(await page.locator('.progress-text').textContent()).toMatch(/MiB/);
    await shot('run-in-progress');
    await waitForRunStatus('succeeded');
    await page.locator('.progress[data-percent="100"]').waitFor();
    await page.locator('.timeline li', { hasText: 'engine' }).waitFor();
    // The log, through the SSE stream: the post hook's line.
    await page.locator('.log .line', { hasText: /post hook says job [0-9]+/ }).waitFor({ timeout: 30_000 });
    expect(await page.locator('.facts a[href*="/namespaces/default/workflows/"]').count()).toBe(1);
    await shot('run-succeeded');

    await page.goto(consoleUrl);
    await page.locator('tr[data-job="console-job"] .strip .cell.status-succeeded').waitFor();
    // What the repository holds, from the catalog: the one snapshot and the data it added.
    const usage = page.locator('tr[data-repository="console-repo"] td.num');
    await usage.first().waitFor();
    expect(await usage.allTextContents()).toEqual(['1', expect.stringMatching(/^[\d.]+ MiB$/)]);
    await shot('dashboard');
    await page.goto(`${consoleUrl}#/runs`);
    await page.locator('table.runs tbody tr').first().waitFor();
    await shot('runs');
  });

  it('browses the snapshot, downloads a file, restores it after approval and the file is on disk', async () => {
    await page.goto(`${consoleUrl}#/snapshots`);
    await page.locator('table.snapshots tbody tr a').first().click();
    const dataset = join(work, 'dataset');
    await page.locator(`code[data-path="${dataset}"]`).waitFor();
    await page.locator('tr[data-entry="notes.txt"]').waitFor();
    await shot('snapshot-browse');

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('tr[data-entry="notes.txt"] a').click()]);
    const saved = join(work, 'downloaded-notes.txt');
    await download.saveAs(saved);
    expect(readFileSync(saved, 'utf8')).toBe('restore me through the console\n');

    await page.locator('tr[data-entry="notes.txt"] input[type="checkbox"]').check();
    const target = join(work, 'restores', 'from-console');
    await page.fill('form.restore input[name="target"]', target);
    await page.locator('form.restore button[type="submit"]').click();
    await waitForRunStatus('awaiting-approval', 60_000);
    await shot('restore-awaiting-approval');
    await page.locator('.actions button', { hasText: 'Approve' }).click();
    await waitForRunStatus('succeeded');
    expect(readFileSync(join(target, dataset, 'notes.txt'), 'utf8')).toBe('restore me through the console\n');
  });

  it('restores the whole snapshot when nothing is chosen; a rejected restore writes nothing', async () => {
    const dataset = join(work, 'dataset');
    const openSnapshot = async () => {
      await page.goto(`${consoleUrl}#/snapshots`);
      await page.locator('table.snapshots tbody tr a').first().click();
      await page.locator('tr[data-entry="notes.txt"]').waitFor();
      await page.locator('form.restore h2', { hasText: 'the whole snapshot' }).waitFor();
    };
    const rejected = join(work, 'restores', 'whole-rejected');
    await openSnapshot();
    await page.fill('form.restore input[name="target"]', rejected);
    await page.locator('form.restore button[type="submit"]').click();
    await waitForRunStatus('awaiting-approval', 60_000);
    await page.locator('.actions button', { hasText: 'Reject' }).click();
    await waitForRunStatus('cancelled');
    expect(await page.locator('.facts dd.bad').textContent()).toContain('restore rejected by console operator');
    await shot('restore-rejected');
    expect(existsSync(join(rejected, dataset))).toBe(false);

    const whole = join(work, 'restores', 'whole');
    await openSnapshot();
    await page.fill('form.restore input[name="target"]', whole);
    await page.locator('form.restore button[type="submit"]').click();
    await waitForRunStatus('awaiting-approval', 60_000);
    await page.locator('.actions button', { hasText: 'Approve' }).click();
    await waitForRunStatus('succeeded');
    // Every file of the source (as the first backup saw it) came back, byte for byte.
    const names = readdirSync(dataset).filter((n) => n !== 'more');
    expect(readdirSync(join(whole, dataset)).sort()).toEqual(names.sort());
    for (const n of names) expect(readFileSync(join(whole, dataset, n)).equals(readFileSync(join(dataset, n)))).toBe(true);
  });

  it('cancels a running backup', async () => {
    // New data (~48 MiB through the capped restic) so the second backup is not a quick no-op.
    writeRandomFiles(join(work, 'dataset', 'more'), 12, 4 * 1024 * 1024);
    await page.goto(`${consoleUrl}#/jobs`);
    await page.locator('tr[data-job="console-job"] button', { hasText: 'Run now' }).click();
    await page.locator('.timeline li.current', { hasText: 'engine' }).waitFor({ timeout: 120_000 });
    await page.locator('.actions button', { hasText: 'Cancel run' }).click();
    await waitForRunStatus('cancelled');
    expect(await page.locator('.facts dd.bad').textContent()).toContain('cancelled by console operator');
    await shot('run-cancelled');
    // The runs list, filtered by outcome with the page's own control: just this one.
    await page.goto(`${consoleUrl}#/runs`);
    await page.locator('table.runs tbody tr').nth(2).waitFor();
    // (The rejected restore above is cancelled too: the kind filter leaves the backup.)
    await page.locator('select[name="kind"]').selectOption('backup');
    await page.locator('select[name="status"]').selectOption('cancelled');
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelectorAll('table.runs tbody tr').length === 1);
    expect(await page.locator('table.runs tbody tr .status').textContent()).toBe('cancelled');
  });

  it("edits and deletes a job and a repository, with the API's errors at the field or in words", async () => {
    const spareRepo = await stack.api.createRepository({ name: 'spare-repo', url: join(work, 'spare-repo'), password: 'a spare passphrase' });
    await stack.api.createJob({ name: 'spare-job', agent: 'local', repositoryId: spareRepo.id, paths: [join(work, 'dataset')] });
    // Deleting asks first (window.confirm): the operator says yes.
    const yes = (d: { accept(): Promise<void> }) => void d.accept();
    page.on('dialog', yes);
    try {
      await page.goto(`${consoleUrl}#/jobs`);
      await page.locator('tr[data-job="spare-job"] button', { hasText: 'Edit' }).click();
      const form = page.locator('form[data-form="edit-job"]');
      await form.locator('input[name="name"]').fill('renamed-job');
      await form.locator('textarea[name="paths"]').fill('not/absolute');
      await form.locator('button[type="submit"]').click();
      await form.locator('[data-field="paths"] .field-error').waitFor();
      await shot('job-edit-validation-error');
      await form.locator('textarea[name="paths"]').fill(join(work, 'dataset'));
      await form.locator('button[type="submit"]').click();
      await page.locator('tr[data-job="renamed-job"]').waitFor();
      expect(await page.locator('tr[data-job="spare-job"]').count()).toBe(0);

      // The repository still holds a job's backups: removing it is refused, and the page says why.
      await page.goto(`${consoleUrl}#/repositories`);
      await page.locator('tr[data-repository="spare-repo"] button', { hasText: 'Edit' }).click();
      const repoForm = page.locator('form[data-form="edit-repository"]');
      await repoForm.locator('input[name="name"]').fill('spare-renamed');
      await repoForm.locator('button[type="submit"]').click();
      await page.locator('tr[data-repository="spare-renamed"]').waitFor();
      await page.locator('tr[data-repository="spare-renamed"] button', { hasText: 'Delete' }).click();
      await page.locator('.form-error', { hasText: 'renamed-job' }).waitFor();
      await shot('repository-delete-refused');

      await page.goto(`${consoleUrl}#/jobs`);
      await page.locator('tr[data-job="renamed-job"] button', { hasText: 'Delete' }).click();
      await page.locator('tr[data-job="renamed-job"]').waitFor({ state: 'detached' });
      await page.goto(`${consoleUrl}#/repositories`);
      await page.locator('tr[data-repository="spare-renamed"] button', { hasText: 'Delete' }).click();
      await page.locator('tr[data-repository="spare-renamed"]').waitFor({ state: 'detached' });
    } finally {
      page.off('dialog', yes);
    }
    expect((await stack.api.listJobs()).map((j) => j.name)).not.toContain('renamed-job');
  });

  it('schedules the job, and creates scripts and notification channels, with errors at their fields', async () => {
    const job = (await stack.api.listJobs()).find((j) => j.name === 'console-job')!;
    await page.goto(`${consoleUrl}#/jobs/${job.id}`);
    const schedule = page.locator('form[data-form="schedule"]');
    await schedule.locator('[data-schedule="none"]').waitFor();
    // The chart of the job's backups: the one that succeeded (the cancelled one has no stats).
    await page.locator('.charts[data-points="1"] svg.chart.duration polyline').waitFor({ state: 'attached' });
    await schedule.locator('textarea[name="cron"]').fill('not a cron');
    await schedule.locator('button[type="submit"]').click();
    await schedule.locator('[data-field="cron"] .field-error', { hasText: 'not a cron' }).waitFor();
    await schedule.locator('textarea[name="cron"]').fill('0 3 * * *');
    await schedule.locator('button[type="submit"]').click();
    await schedule.locator('[data-schedule="active"]').waitFor();
    expect((await stack.api.getJob(job.id)).schedule).toMatchObject({ cron: ['0 3 * * *'], intervals: [], paused: false });
    await schedule.locator('input[name="note"]').fill('holiday freeze');
    await schedule.locator('button', { hasText: 'Pause' }).click();
    await schedule.locator('[data-schedule="paused"] [data-note]', { hasText: 'holiday freeze' }).waitFor();
    expect((await stack.api.getJob(job.id)).schedule).toMatchObject({ paused: true, note: 'holiday freeze' });
    await shot('job');
    await schedule.locator('button', { hasText: 'Remove schedule' }).click();
    await schedule.locator('[data-schedule="none"]').waitFor();
    expect((await stack.api.getJob(job.id)).schedule ?? null).toBeNull();

    await page.goto(`${consoleUrl}#/scripts`);
    const scriptForm = page.locator('form[data-form="create-script"]');
    await scriptForm.locator('input[name="name"]').fill('-bad name');
    await scriptForm.locator('textarea[name="body"]').fill('echo pre');
    await scriptForm.locator('button[type="submit"]').click();
    await scriptForm.locator('[data-field="name"] .field-error').waitFor();
    await scriptForm.locator('input[name="name"]').fill('pre-check');
    await scriptForm.locator('button[type="submit"]').click();
    await page.locator('tr[data-script="pre-check"]').waitFor();
    await shot('scripts');

    await page.goto(`${consoleUrl}#/channels`);
    const channelForm = page.locator('form[data-form="create-channel"]');
    await channelForm.locator('input[name="name"]').fill('ops-hook');
    await channelForm.locator('select[name="kind"]').selectOption('webhook');
    await channelForm.locator('textarea[name="settings"]').fill('{"url": ');
    await channelForm.locator('button[type="submit"]').click();
    await channelForm.locator('[data-field="settings"] .field-error').waitFor();
    await channelForm.locator('textarea[name="settings"]').fill('{"url": "http://127.0.0.1:9/hook"}');
    await channelForm.locator('button[type="submit"]').click();
    await page.locator('tr[data-channel="ops-hook"]').waitFor();
    await shot('channels');
    await page.goto(`${consoleUrl}#/plugins`);
    await page.locator('form[data-form="create-plugin-config"]').waitFor();
    await shot('plugins');
  });

  it("sets, pauses with a note, triggers and removes a repository's prune and S3-sync schedules on its page", async () => {
    const repo = await stack.api.createRepository({ name: 'scheduled-repo', url: join(work, 'scheduled-repo'), password: 'a scheduled passphrase' });
    await page.goto(`${consoleUrl}#/repositories`);
    await page.locator('tr[data-repository="scheduled-repo"] a', { hasText: 'scheduled-repo' }).click();
    await page.locator('section[data-repository-page="scheduled-repo"]').waitFor();
    const prune = page.locator('form[data-form="schedule-prune"]');
    await prune.locator('[data-schedule="none"]').waitFor();
    // The schedule's own check names the cron line: the page puts it at the cron field.
    await prune.locator('textarea[name="cron"]').fill('not a cron');
    await prune.locator('button[type="submit"]').click();
    await prune.locator('[data-field="cron"] .field-error', { hasText: 'not a cron' }).waitFor();
    // The schema's error path (body/intervals/0/everySeconds) lands at the interval field.
    await prune.locator('textarea[name="cron"]').fill('0 4 * * 0');
    await prune.locator('input[name="intervals"]').fill('0s');
    await prune.locator('button[type="submit"]').click();
    await prune.locator('[data-field="intervals"] .field-error').waitFor();
    expect(await prune.locator('[data-field="cron"] .field-error').count()).toBe(0);
    await shot('repository-schedule-validation-error');
    await prune.locator('input[name="intervals"]').fill('1d+3h');
    await prune.locator('button[type="submit"]').click();
    await prune.locator('[data-schedule="active"]').waitFor();
    expect(await stack.api.getRepositorySchedule(repo.id, 'prune')).toMatchObject({ cron: ['0 4 * * 0'], intervals: [{ everySeconds: 86_400, offsetSeconds: 10_800 }], paused: false });

    await prune.locator('input[name="note"]').fill('disk swap this week');
    await prune.locator('button', { hasText: 'Pause' }).click();
    await prune.locator('[data-schedule="paused"] [data-note]', { hasText: 'disk swap this week' }).waitFor();
    expect(await stack.api.getRepositorySchedule(repo.id, 'prune')).toMatchObject({ paused: true, note: 'disk swap this week' });
    await shot('repository-schedule-paused');
    await prune.locator('button', { hasText: 'Resume' }).click();
    await prune.locator('[data-schedule="active"]').waitFor();
    expect(await stack.api.getRepositorySchedule(repo.id, 'prune')).toMatchObject({ paused: false });
    // Triggered now (also the way it would be while paused): the scheduled prune's run appears.
    await prune.locator('button', { hasText: 'Trigger now' }).click();
    await prune.locator('.notice', { hasText: `prune/repository-${repo.id}/scheduled-` }).waitFor();
    const pruneRun = await waitFor('the triggered prune', async () => (await stack.api.listRunsPage({ repositoryId: repo.id, kind: 'prune' })).items.find((r) => r.workflowId.startsWith(`prune/repository-${repo.id}/scheduled-`)), 60_000, 300);
    expect((await stack.api.waitForRun(pruneRun.id, { timeoutMs: 180_000 })).status).toBe('succeeded');
    await prune.locator('button', { hasText: 'Remove schedule' }).click();
    await prune.locator('[data-schedule="none"]').waitFor();
    expect((await problemOf(stack.api.getRepositorySchedule(repo.id, 'prune'))).status).toBe(404);

    // S3 sync needs a target: refused in the API's words, then set once there is one.
    const sync = page.locator('form[data-form="schedule-s3-sync"]');
    await sync.locator('textarea[name="cron"]').fill('30 5 * * *');
    await sync.locator('button[type="submit"]').click();
    await sync.locator('.form-error', { hasText: 'no S3 sync target' }).waitFor();
    await stack.api.putS3SyncTarget(repo.id, { endpoint: 'http://127.0.0.1:9', bucket: 'console-mirror', accessKeyId: 'AKIACONSOLE', secretAccessKey: 'not-used' });
    await page.reload();
    await sync.locator('[data-schedule="none"]').waitFor();
    await sync.locator('textarea[name="cron"]').fill('30 5 * * *');
    await sync.locator('input[name="intervals"]').fill('12h');
    await sync.locator('button[type="submit"]').click();
    await sync.locator('[data-schedule="active"]').waitFor();
    expect(await stack.api.getRepositorySchedule(repo.id, 's3-sync')).toMatchObject({ cron: ['30 5 * * *'], intervals: [{ everySeconds: 43_200 }], paused: false });
    await shot('repository-schedules');
    await sync.locator('button', { hasText: 'Remove schedule' }).click();
    await sync.locator('[data-schedule="none"]').waitFor();
    expect((await problemOf(stack.api.getRepositorySchedule(repo.id, 's3-sync'))).status).toBe(404);
  });

  it('edits a notification channel and a plugin configuration, secrets only named, never shown', async () => {
    const channel = await stack.api.request<{ id: number }>('POST', '/v1/notification-channels', {
      name: 'edit-me',
      kind: 'ntfy',
      settings: { server: 'http://127.0.0.1:9', topic: 'backups' },
      secrets: { token: 'tk_channel_secret_1' },
    });
    await page.goto(`${consoleUrl}#/channels`);
    await page.locator('tr[data-channel="edit-me"] button', { hasText: 'Edit' }).click();
    const form = page.locator('form[data-form="edit-channel"]');
    await form.locator('[data-secret="token"]', { hasText: 'set, unchanged' }).waitFor();
    expect(await form.locator('textarea[name="secrets"]').inputValue()).toBe('');
    expect(await form.locator('select[name="kind"]').isDisabled()).toBe(true);
    await shot('channel-edit');
    // The kind's own check refuses a bad topic, in its words.
    await form.locator('textarea[name="settings"]').fill('{"server": "http://127.0.0.1:9", "topic": "no spaces allowed"}');
    await form.locator('button[type="submit"]').click();
    await form.locator('.form-error', { hasText: 'settings.topic' }).waitFor();
    // Renamed, new settings, secrets left alone: the token stays sealed.
    await form.locator('input[name="name"]').fill('ops-ntfy');
    await form.locator('textarea[name="settings"]').fill('{"server": "http://127.0.0.1:9", "topic": "nightly"}');
    await form.locator('button[type="submit"]').click();
    await page.locator('tr[data-channel="ops-ntfy"]').waitFor();
    expect(await stack.api.request('GET', `/v1/notification-channels/${channel.id}`)).toMatchObject({ name: 'ops-ntfy', settings: { server: 'http://127.0.0.1:9', topic: 'nightly' }, secretFields: ['token'] });
    // A secret removed by naming it null.
    await page.locator('tr[data-channel="ops-ntfy"] button', { hasText: 'Edit' }).click();
    await form.locator('textarea[name="secrets"]').fill('{"token": null}');
    await form.locator('button[type="submit"]').click();
    await form.waitFor({ state: 'detached' });
    expect(await stack.api.request('GET', `/v1/notification-channels/${channel.id}`)).toMatchObject({ secretFields: [] });

    const config = await stack.api.request<{ id: number }>('POST', '/v1/agents/local/plugin-configs', {
      name: 'app-db',
      plugin: 'pg_dump',
      settings: { host: '127.0.0.1', port: 5432, user: 'postgres', mode: 'stream' },
      secrets: { password: 'pg_plugin_secret_1' },
    });
    await page.goto(`${consoleUrl}#/plugins?agent=local`);
    await page.locator('tr[data-plugin-config="app-db"] button', { hasText: 'Edit' }).click();
    const pluginForm = page.locator('form[data-form="edit-plugin-config"]');
    await pluginForm.locator('[data-secret="password"]', { hasText: 'set, unchanged' }).waitFor();
    await pluginForm.locator('textarea[name="settings"]').fill('{"host": "127.0.0.1", "port": 5432, "user": "postgres", "mode": "stream", "password": "in plain settings"}');
    await pluginForm.locator('button[type="submit"]').click();
    await pluginForm.locator('.form-error, .field-error').first().waitFor();
    await shot('plugin-config-edit-error');
    await pluginForm.locator('input[name="name"]').fill('app-db-replica');
    await pluginForm.locator('textarea[name="settings"]').fill('{"host": "127.0.0.1", "port": 5433, "user": "postgres", "mode": "stream"}');
    await pluginForm.locator('button[type="submit"]').click();
    await page.locator('tr[data-plugin-config="app-db-replica"]').waitFor();
    expect(await stack.api.request('GET', `/v1/agents/local/plugin-configs/${config.id}`)).toMatchObject({
      name: 'app-db-replica',
      plugin: 'pg_dump',
      settings: { host: '127.0.0.1', port: 5433, user: 'postgres', mode: 'stream' },
      secretFields: ['password'],
    });
    // No secret ever reached the page.
    for (const url of [`${consoleUrl}#/channels`, `${consoleUrl}#/plugins?agent=local`]) {
      await page.goto(url);
      await page.locator('table tbody tr').first().waitFor();
      const html = await page.content();
      expect(html).not.toContain('tk_channel_secret_1');
      expect(html).not.toContain('pg_plugin_secret_1');
    }
  });

  it('lists, creates and deletes notification rules, with errors at their fields', async () => {
    const repo = await stack.api.createRepository({ name: 'rules-repo', url: join(work, 'rules-repo'), password: 'a rules passphrase' });
    const channel = await stack.api.request<{ id: number }>('POST', '/v1/notification-channels', { name: 'rules-hook', kind: 'webhook', settings: { url: 'http://127.0.0.1:9/rules' } });
    const yes = (d: { accept(): Promise<void> }) => void d.accept();
    page.on('dialog', yes);
    try {
      await page.goto(`${consoleUrl}#/channels`);
      const form = page.locator('form[data-form="create-rule"]');
      await form.locator('select[name="channelId"] option', { hasText: 'rules-hook' }).waitFor({ state: 'attached' });
      await form.locator('select[name="channelId"]').selectOption({ label: 'rules-hook' });
      // No event chosen: the API's error path (body/events) lands at the events.
      await form.locator('button[type="submit"]').click();
      await form.locator('[data-field="events"] .field-error').waitFor();
      await shot('rule-validation-error');
      await form.locator('input[name="events"][value="run.failed"]').check();
      await form.locator('input[name="events"][value="job.stale"]').check();
      await form.locator('select[name="scope"]').selectOption('repository');
      await form.locator('select[name="repositoryId"]').selectOption({ label: 'rules-repo' });
      await form.locator('button[type="submit"]').click();
      const row = page.locator('tr[data-rule-channel="rules-hook"]');
      await row.waitFor();
      expect(await row.textContent()).toContain('repository rules-repo');
      await shot('rules');
      const rules = await stack.api.request<{ items: Array<{ id: number; channelId: number }> }>('GET', `/v1/notification-rules?channelId=${channel.id}`);
      expect(rules.items).toEqual([expect.objectContaining({ channelId: channel.id, events: ['run.failed', 'job.stale'], scope: 'repository', repositoryId: repo.id, jobId: null })]);
      await row.locator('button', { hasText: 'Delete' }).click();
      await row.waitFor({ state: 'detached' });
      expect((await stack.api.request<{ items: unknown[] }>('GET', `/v1/notification-rules?channelId=${channel.id}`)).items).toEqual([]);
    } finally {
      page.off('dialog', yes);
    }
  });

  it('shows the agents page, revokes an enrollment token and an agent, signs out, and never asked anything of the internet', async () => {
    // A second agent, to revoke (the stack's own keeps serving the other tests' runs).
    await stack.startAgent('spare-agent');
    await page.goto(`${consoleUrl}#/agents`);
    await page.locator('tr[data-agent="local"]').waitFor();
    // An enrollment token, shown once; listed without it.
    await page.locator('button', { hasText: 'Create enrollment token' }).click();
    const issued = await page.locator('[data-token-once] code').textContent();
    expect(issued).toMatch(/^bsb_/);
    const [token] = (await stack.api.request<{ items: Array<{ id: number; revokedAt: string | null }> }>('GET', '/v1/agent-tokens')).items.slice(-1);
    const row = page.locator(`tr[data-token-id="${token!.id}"]`);
    await row.locator('td.state', { hasText: 'usable' }).waitFor();
    expect(await page.locator('table.agent-tokens').textContent()).not.toContain(issued!);
    await shot('agents');

    const yes = (d: { accept(): Promise<void> }) => void d.accept();
    page.on('dialog', yes);
    try {
      await row.locator('button', { hasText: 'Revoke' }).click();
      await row.locator('td.state', { hasText: 'revoked' }).waitFor();
      const spare = page.locator('tr[data-agent="spare-agent"]');
      await spare.locator('td.good', { hasText: /^reachable$/ }).waitFor({ timeout: 60_000 });
      await spare.locator('button', { hasText: 'Revoke' }).click();
      await spare.locator('td', { hasText: 'revoked' }).waitFor();
    } finally {
      page.off('dialog', yes);
    }
    expect((await stack.api.request<{ items: Array<{ id: number; revokedAt: string | null }> }>('GET', '/v1/agent-tokens')).items.find((t) => t.id === token!.id)?.revokedAt).not.toBeNull();
    expect((await stack.api.listAgents()).find((a) => a.name === 'spare-agent')?.status).toBe('revoked');
    await shot('agents-revoked');
    const [session] = await browser.context.cookies();
    await page.locator('header button', { hasText: 'Sign out' }).click();
    await page.locator('input[name="token"]').waitFor();
    expect(await browser.context.cookies()).toEqual([]);
    // The session ended on the server too: the old cookie, replayed, opens nothing.
    const replay = await fetch(`${stack.api.baseUrl}/v1/jobs`, { headers: { cookie: `backstop_session=${session!.value}` } });
    expect(replay.status).toBe(401);
    expect(browser.offsite).toEqual([]);
  });
});
