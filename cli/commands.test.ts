// Command lines as an operator types them, run through the real command tree against a
// fake API: what each sends, what it prints, and how it exits.
import { runCli } from '../test/support/cli-harness';

const RUN_ID = '0f8e2a4c-1111-4222-8333-444455556666';
const accepted = { runId: RUN_ID, workflowId: 'backup/2/2026-12-03T12:00:00Z', status: 'queued' };
const job = { id: 2, name: 'web', agent: 'web-1', repositoryId: 1, paths: ['/srv', '/etc'], excludes: [], snapshotMode: 'auto', mode: 'push', preScript: null, postHook: null, retention: null, createdAt: '2026-12-01T12:00:00Z', health: { lastSuccessAt: '2026-12-03T09:00:00Z', lastFailureAt: null, lastRunStatus: 'succeeded', nextRunAt: null, stale: false, lastDrill: null, lastDrillPassAt: null, drillStale: false } };
const run = (status: string) => ({ id: RUN_ID, kind: 'backup', status, jobId: 2, repositoryId: 1, agentName: 'web-1', workflowId: accepted.workflowId, snapshotId: status === 'failed' ? null : 'ab'.repeat(32), stats: null, warnings: status === 'warning' ? ['/srv/x: permission denied'] : [], failureReason: status === 'failed' ? 'restic: repository locked' : null, details: null, startedAt: '2026-12-03T11:59:00Z', finishedAt: '2026-12-03T12:00:00Z', progress: null, live: null });
const emptyLog = { items: [], nextAfterSeq: 0, active: false };

describe('tables and --json', () => {
  it('prints jobs as an aligned table with relative times: no index column, no quotes', async () => {
    const r = await runCli(['jobs', 'list'], { 'GET /v1/jobs': { items: [job] } });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual(['ID  NAME  AGENT  REPO  LAST RUN   LAST SUCCESS  NEXT  HEALTH  PATHS', ' 2  web   web-1     1  succeeded  3h ago                      /srv /etc', '']);
    expect(r.stdout).not.toMatch(/index|'/);
  });

  it('--json prints the API answer as it is, anywhere on the line', async () => {
    for (const argv of [['--json', 'jobs', 'list'], ['jobs', 'list', '--json']]) {
      const r = await runCli(argv, { 'GET /v1/jobs': { items: [job] } });
      expect(JSON.parse(r.stdout)).toEqual({ items: [job] });
    }
  });

  it('runs list sends the filters and shows full run ids (runbooks grep them)', async () => {
    const r = await runCli(['runs', 'list', '--job', '2', '--kind', 'check', '--limit', '1'], { 'GET /v1/runs?jobId=2&kind=check&limit=1': { items: [run('succeeded')], nextCursor: 'c2' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(RUN_ID);
    expect(r.stdout).toContain('more: --cursor c2');
  });
});

describe('requests built from flags', () => {
  it('repos create: password from the environment, keys from files', async () => {
    const r = await runCli(
      ['repos', 'create', 'offsite', '--url', 'ssh://borg@h:22/./r', '--engine', 'borg', '--append-only', '--ssh-key', '/k', '--known-hosts', '/kh'],
      { 'POST /v1/repositories': { id: 4, name: 'offsite', engine: 'borg', url: 'ssh://borg@h:22/./r' } },
      { env: { BACKSTOP_REPOSITORY_PASSWORD: 'pw-123456' }, files: { '/k': 'KEY\n', '/kh': 'h ssh-ed25519 AAAA\n' } },
    );
    expect(r.calls[0]!.body).toEqual({ name: 'offsite', url: 'ssh://borg@h:22/./r', password: 'pw-123456', engine: 'borg', appendOnly: true, ssh: { privateKey: 'KEY\n', knownHosts: 'h ssh-ed25519 AAAA\n' } });
    expect(r.stdout).toBe('repository 4 (borg) offsite at ssh://borg@h:22/./r\n');
    const noInit = await runCli(['repos', 'create', 'r', '--url', '/srv/r', '--no-init'], { 'POST /v1/repositories': { id: 5, name: 'r', engine: 'restic', url: '/srv/r' } }, { env: { BACKSTOP_REPOSITORY_PASSWORD: 'pw' } });
    expect(noInit.calls[0]!.body).toEqual({ name: 'r', url: '/srv/r', password: 'pw', engine: 'restic', init: false });
  });

  it('jobs create: repeated paths and excludes, typed repository id, a mode among the choices', async () => {
    const r = await runCli(['jobs', 'create', 'home', '--agent', 'web-1', '--repository', '3', '--path', '/home', '--path', '/etc', '--exclude', '*.tmp', '--mode', 'pull'], { 'POST /v1/jobs': { ...job, id: 9, name: 'home' } });
    expect(r.calls[0]!.body).toEqual({ name: 'home', agent: 'web-1', repositoryId: 3, paths: ['/home', '/etc'], excludes: ['*.tmp'], mode: 'pull' });
  });

  it('jobs edit: lists given replace the job\'s, --no- forms send null or empty, nothing to change is a usage error', async () => {
    const r = await runCli(['jobs', 'edit', '2', '--name', 'web2', '--path', '/srv', '--no-excludes', '--no-pre-script', '--post-hook', 'systemctl start web'], { 'PATCH /v1/jobs/2': { ...job, name: 'web2' } });
    expect(r.code).toBe(0);
    expect(r.calls[0]).toMatchObject({ method: 'PATCH', body: { name: 'web2', paths: ['/srv'], excludes: [], preScript: null, postHook: 'systemctl start web' } });
    expect(r.stdout).toMatch(/^name\s+web2$/m);
    const nothing = await runCli(['jobs', 'edit', '2']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('say what to change');
    expect(nothing.calls).toEqual([]);
    expect((await runCli(['jobs', 'edit', '2', '--exclude', '*.tmp', '--no-excludes'])).code).toBe(2);
  });

  it('jobs delete and repos delete send DELETE and say what stays; nothing else sent', async () => {
    const deleted = await runCli(['jobs', 'delete', '2'], { 'DELETE /v1/jobs/2': [204, null] });
    expect(deleted.code).toBe(0);
    expect(deleted.calls[0]).toMatchObject({ method: 'DELETE', path: '/v1/jobs/2' });
    expect(deleted.stdout).toContain('snapshots stay restorable');
    const repo = await runCli(['repos', 'delete', '1'], { 'DELETE /v1/repositories/1': [204, null] });
    expect(repo.stdout).toContain('its data is where it was');
  });

  it('repos edit: name and post-prune script, --no-post-prune-script sends null', async () => {
    const answer = { id: 1, name: 'main', url: '/srv/r', engine: 'restic', appendOnly: false, pbs: null, postPruneScript: null, createdAt: '2026-12-01T12:00:00Z' };
    const r = await runCli(['repos', 'edit', '1', '--name', 'main', '--no-post-prune-script'], { 'PATCH /v1/repositories/1': answer });
    expect(r.code).toBe(0);
    expect(r.calls[0]!.body).toEqual({ name: 'main', postPruneScript: null });
    expect((await runCli(['repos', 'edit', '1'])).code).toBe(2);
  });

  it('snapshots restore: repeatable includes, choices, --no-verify', async () => {
    const r = await runCli(['snapshots', 'restore', 'abcd1234', '--agent', 'web2', '--target', '/srv', '--include', '/a', '--include', '*.conf', '--overwrite', 'if-newer', '--no-verify'], { 'POST /v1/snapshots/abcd1234/restore': accepted });
    expect(r.calls[0]!.body).toEqual({ agent: 'web2', target: '/srv', include: ['/a', '*.conf'], overwrite: 'if-newer', verify: false });
    expect(r.stdout).toBe(`restore run ${RUN_ID} started (workflow ${accepted.workflowId})\n`);
  });

  it('schedules: cron list, zone and policies; a repository schedule names its kind', async () => {
    const schedule = { scheduleId: 'backup/2', cron: ['0 2 * * *'], intervals: [], calendars: [], timezone: 'Europe/Berlin', overlap: 'skip', paused: false, note: null, workflowIdPrefix: 'backup/2', nextRuns: [] };
    const r = await runCli(['jobs', 'schedule-set', '2', '--cron', '0 2 * * *', '--cron', '30 12 * * 6', '--tz', 'Europe/Berlin', '--jitter', '60', '--overlap', 'buffer-one', '--catchup', '600', '--pause-on-failure'], { 'PUT /v1/jobs/2/schedule': schedule });
    expect(r.calls[0]!.body).toEqual({ cron: ['0 2 * * *', '30 12 * * 6'], timezone: 'Europe/Berlin', jitterSeconds: 60, overlap: 'buffer-one', catchupWindowSeconds: 600, pauseOnFailure: true });
    const every = await runCli(['repos', 'schedule-set', '1', 'prune', '--every', '3600'], { 'PUT /v1/repositories/1/schedules/prune': schedule });
    expect(every.calls[0]!.body).toEqual({ intervals: [{ everySeconds: 3600 }] });
    expect((await runCli(['repos', 'schedule-set', '1', 'backup', '--every', '3600'])).code).toBe(2);
    expect((await runCli(['jobs', 'schedule-set', '2'])).stderr).toContain('--cron <expr> or --every <seconds>');
  });

  it('drill-set: settings, probes and a drill schedule', async () => {
    const r = await runCli(['jobs', 'drill-set', '4', '--files', '50', '--read-data', '2.5', '--probe', '3=SELECT count(*) FROM orders', '--every', '86400'], { 'PUT /v1/jobs/4/drill': { jobId: 4, settings: {}, schedule: null } });
    expect(r.calls[0]!.body).toEqual({ sampleFiles: 50, readDataPercent: 2.5, probes: { '3': 'SELECT count(*) FROM orders' }, schedule: { intervals: [{ everySeconds: 86400 }] } });
    expect((await runCli(['jobs', 'drill-set', '4', '--read-data', '2.55'])).code).toBe(2);
  });

  it('drill-pause and drill-resume: the drill schedule, with a note', async () => {
    const schedule = { scheduleId: 'drill-schedule/4', kind: 'drill', ownerId: 4, cron: [], calendars: [], intervals: [{ everySeconds: 604800, offsetSeconds: 60 }], timezone: 'UTC', jitterSeconds: 0, overlap: 'skip', catchupWindowSeconds: 3600, pauseOnFailure: false, paused: true, note: 'repair', nextRuns: [], workflowIdPrefix: 'drill/4/scheduled' };
    const paused = await runCli(['jobs', 'drill-pause', '4', '--note', 'repair'], { 'POST /v1/jobs/4/drill/schedule/pause': schedule });
    expect(paused.code).toBe(0);
    expect(paused.calls[0]!.body).toEqual({ note: 'repair' });
    const resumed = await runCli(['jobs', 'drill-resume', '4'], { 'POST /v1/jobs/4/drill/schedule/resume': { ...schedule, paused: false, note: null } });
    expect(resumed.code).toBe(0);
    expect(resumed.calls[0]!.body).toBeUndefined();
  });

  it('notify: channel settings and secrets from the environment, edits on top of the current settings, rules', async () => {
    const channel = { id: 2, name: 'ops', kind: 'webhook', settings: { url: 'https://a.example', method: 'POST' }, secretFields: [] };
    const create = await runCli(['notify', 'channels', 'create', 'ops', '--kind', 'webhook', '--settings', '{"timeoutMs":5000}', '--set', 'url=https://hooks.example/x?a=b', '--secret', 'hmacKey=HOOK_KEY'], { 'POST /v1/notification-channels': channel }, { env: { HOOK_KEY: 's3cret' } });
    expect(create.calls[0]!.body).toEqual({ name: 'ops', kind: 'webhook', settings: { timeoutMs: 5000, url: 'https://hooks.example/x?a=b' }, secrets: { hmacKey: 's3cret' } });
    const missing = await runCli(['notify', 'channels', 'create', 'ops', '--kind', 'webhook', '--secret', 'token=NOPE']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('environment variable NOPE is not set');
    const edit = await runCli(['notify', 'channels', 'edit', '2', '--set', 'url=https://b.example', '--secret', 'token=T', '--remove-secret', 'hmacKey'], { 'GET /v1/notification-channels/2': channel, 'PATCH /v1/notification-channels/2': channel }, { env: { T: 'tok' } });
    expect(edit.calls[1]!.body).toEqual({ settings: { url: 'https://b.example', method: 'POST' }, secrets: { token: 'tok', hmacKey: null } });
    const rule = await runCli(['notify', 'rules', 'create', '--channel', '2', '--event', 'run.failed', '--event', 'prune.failed', '--job', '7'], { 'POST /v1/notification-rules': { id: 1, channelId: 2, events: ['run.failed', 'prune.failed'], scope: 'job', jobId: 7, repositoryId: null } });
    expect(rule.calls[0]!.body).toEqual({ channelId: 2, events: ['run.failed', 'prune.failed'], scope: 'job', jobId: 7 });
    expect(rule.stdout).toBe('rule 1: run.failed, prune.failed of job 7 → channel 2\n');
    expect((await runCli(['notify', 'rules', 'create', '--channel', '2', '--event', 'x', '--job', '7', '--repository', '3'])).stderr).toContain('not both');
  });

  it('plugins and database restores: secrets from the environment, a new database unless --overwrite', async () => {
    const add = await runCli(['plugins', 'add', 'db1', 'pg', 'pg_dump', '--settings', '{"host":"db1"}', '--secret', 'password=PGPASS'], { 'POST /v1/agents/db1/plugin-configs': { id: 3, agent: 'db1', name: 'pg', plugin: 'pg_dump', settings: {}, secretFields: ['password'], createdAt: '', updatedAt: '' } }, { env: { PGPASS: 'hunter2' } });
    expect(add.calls[0]!.body).toEqual({ name: 'pg', plugin: 'pg_dump', settings: { host: 'db1' }, secrets: { password: 'hunter2' } });
    const restore = await runCli(['snapshots', 'restore-db', 'abcd', '--agent', 'db1', '--config', '3', '--path', '/backstop/pg_dump/config-3/app.dump', '--target', 'app_copy'], { 'POST /v1/snapshots/abcd/restore-database': accepted });
    expect(restore.calls[0]!.body).toEqual({ agent: 'db1', configId: 3, path: '/backstop/pg_dump/config-3/app.dump', target: 'app_copy', overwrite: false });
  });
});

describe('exit codes', () => {
  const waitRoutes = (status: string) => ({ 'POST /v1/jobs/2/run': accepted, [`GET /v1/runs/${RUN_ID}`]: run(status), [`GET /v1/runs/${RUN_ID}/log?afterSeq=0&limit=500`]: emptyLog });

  it('0 when a waited-for run succeeded, 1 failed, 3 warnings; the outcome summed up', async () => {
    const ok = await runCli(['jobs', 'run', '2', '--wait'], waitRoutes('succeeded'));
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`backup run ${RUN_ID} succeeded after 1m00s`);
    const failed = await runCli(['jobs', 'run', '2', '--wait'], waitRoutes('failed'));
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('reason    restic: repository locked');
    expect((await runCli(['jobs', 'run', '2', '--wait'], waitRoutes('warning'))).code).toBe(3);
    const json = await runCli(['jobs', 'run', '2', '--wait', '--json'], waitRoutes('warning'));
    expect(JSON.parse(json.stdout)).toEqual(run('warning'));
  });

  it('runs watch follows a run started earlier and exits with its outcome', async () => {
    const r = await runCli(['runs', 'watch', RUN_ID], { [`GET /v1/runs/${RUN_ID}`]: run('failed'), [`GET /v1/runs/${RUN_ID}/log?afterSeq=0&limit=500`]: emptyLog });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`backup run ${RUN_ID} failed after 1m00s`);
  });

  it('2 for an unknown command or flag, a missing or malformed argument — with the usage', async () => {
    for (const argv of [['jobs', 'frobnicate'], ['jobs', 'run', '2', '--bogus'], ['jobs', 'run'], ['jobs', 'run', 'two'], ['runs', 'list', '--kind', 'nope']]) {
      const r = await runCli(argv);
      expect({ argv, code: r.code, calls: r.calls.length }).toEqual({ argv, code: 2, calls: 0 });
      expect(r.stderr).toMatch(/error: .*\n[\s\S]*Usage: backstop/);
    }
  });

  it('0 for --help, and the help names the flags', async () => {
    const r = await runCli(['runs', 'list', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: backstop runs list \[options\][\s\S]*--kind <kind>[\s\S]*--json/);
  });

  it('4 when nothing answers at the API URL', async () => {
    const r = await runCli(['jobs', 'list'], {}, { unreachable: true });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe('backstop: cannot reach the API at http://backstop.test:8420: ECONNREFUSED (is it running? --api-url, BACKSTOP_API_URL or a --profile name another)\n');
  });

  it('5 when the API answers with an error, its problem printed', async () => {
    const r = await runCli(['runs', 'show', 'nope'], { 'GET /v1/runs/nope': [404, { type: 'about:blank', title: 'Not Found', status: 404, detail: 'no run nope' }] });
    expect(r.code).toBe(5);
    expect(r.stderr).toBe('backstop: Not Found (404): no run nope\n');
  });

  it('2 without a token, before any request', async () => {
    const r = await runCli(['jobs', 'list'], {}, { env: { BACKSTOP_TOKEN: '', BACKSTOP_DATA_DIR: '/nonexistent-backstop-data' } });
    expect(r.code).toBe(2);
    expect(r.calls).toEqual([]);
  });
});

test('the token and URL come from the flags before the environment', async () => {
  const r = await runCli(['--api-url', 'http://other:1', '--token', 'flag-token', 'jobs', 'list'], { 'GET /v1/jobs': { items: [] } });
  expect(r.calls[0]!.headers.authorization).toBe('Bearer flag-token');
});

describe('guest disk mounts', () => {
  const SNAP = 'cd'.repeat(32);
  const base = { mountId: 'm-1', snapshotId: SNAP, disk: 'scsi0', workflowId: `guest-file-mount/${SNAP}/scsi0`, expiresAt: '2026-12-03T12:30:00Z', startedAt: '2026-12-03T12:00:00Z', attempts: 1, endReason: null, failureReason: null };
  const starting = { ...base, state: 'starting', filesystems: [] };
  const up = { ...base, state: 'mounted', filesystems: [{ name: 'p1', partition: 1, fsType: 'ext4', path: '/var/lib/backstop/server/guest-mounts/m-1/p1', offset: 1048576, size: 15728640 }] };

  it('guest-mount --disk --ttl --wait: POSTs the TTL in seconds, then GETs until mounted, and prints each filesystem', async () => {
    const r = await runCli(['snapshots', 'guest-mount', 'cdcd', '--disk', 'scsi0', '--ttl', '45m', '--wait'], {
      'POST /v1/snapshots/cdcd/guest-disks/scsi0/mount': [202, starting],
      'GET /v1/snapshots/cdcd/guest-disks/scsi0/mount?waitSeconds=60': up,
    });
    expect(r.code).toBe(0);
    expect(r.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['POST /v1/snapshots/cdcd/guest-disks/scsi0/mount', 'GET /v1/snapshots/cdcd/guest-disks/scsi0/mount?waitSeconds=60']);
    expect(r.calls[0]!.body).toEqual({ ttlSeconds: 2700 });
    expect(r.stdout).toBe(`snapshot cdcdcdcd disk scsi0: mounted expires 2026-12-03T12:30:00Z\n  p1 ext4 /var/lib/backstop/server/guest-mounts/m-1/p1\n`);
  });

  it('guest-mount without --disk is a usage error; nothing is sent', async () => {
    const r = await runCli(['snapshots', 'guest-mount', 'cdcd']);
    expect(r.code).toBe(2);
    expect(r.calls).toEqual([]);
  });

  it('guest-mount-status of a mount that failed exits 1 with the reason; guest-unmount DELETEs', async () => {
    const failed = { ...base, state: 'ended', filesystems: [], endReason: 'failed', failureReason: 'no filesystem found on disk scsi0: neither a filesystem nor a partition table' };
    const s = await runCli(['snapshots', 'guest-mount-status', 'cdcd', '--disk', 'scsi0'], { 'GET /v1/snapshots/cdcd/guest-disks/scsi0/mount?waitSeconds=0': failed });
    expect(s.code).toBe(1);
    expect(s.stdout).toContain('ended (failed: no filesystem found on disk scsi0');
    const u = await runCli(['snapshots', 'guest-unmount', 'cdcd', '--disk', 'scsi0'], { 'DELETE /v1/snapshots/cdcd/guest-disks/scsi0/mount?waitSeconds=60': { ...base, state: 'ended', filesystems: [], endReason: 'unmounted' } });
    expect(u.code).toBe(0);
    expect(u.calls[0]).toMatchObject({ method: 'DELETE' });
    expect(u.stdout).toBe('snapshot cdcdcdcd disk scsi0: ended (unmounted)\n');
    // --json gives the API's answer as it is.
    const j = await runCli(['snapshots', 'guest-mount-status', 'cdcd', '--disk', 'scsi0', '--json'], { 'GET /v1/snapshots/cdcd/guest-disks/scsi0/mount?waitSeconds=0': up });
    expect(JSON.parse(j.stdout)).toEqual(up);
  });
});
