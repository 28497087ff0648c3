// Snapshot mounts on the real stack: restic's own FUSE mount on the server worker's host,
// started, read, listed by findmnt, unmounted through the API; and a kill -9 of the server
// worker while mounted: its restart kills the old restic and removes the dead mount, and
// the mount's workflow mounts the snapshot again on the new worker.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { commandLineHas } from '../../activities/shared/engines/orphans';
import { MOUNT_PATH_TEMPLATE } from '../../activities/shared/engines/restic/mount-args';
import { removeWorkDir } from '../support/work-dir';

jest.setTimeout(300_000);

let pg: Postgres;
let stack: Stack;
let work: string;
let snapshotId: string;
const content = randomBytes(300_000);

beforeAll(async () => {
  pg = await startPostgres();
  // A killed worker's mount attempt is retried after this long without a heartbeat.
  stack = await startStack({ databaseUrl: pg.url, env: { BACKSTOP_ENGINE_HEARTBEAT_TIMEOUT_MS: '5000' } });
  work = mkdtempSync(join(tmpdir(), 'backstop-mount-'));
  const source = join(work, 'src');
  mkdirSync(join(source, 'sub'), { recursive: true });
  writeFileSync(join(source, 'sub', 'data.bin'), content);
  writeFileSync(join(source, 'hello.txt'), 'hello mount\n');
  const repo = await stack.api.createRepository({ name: 'mount-src', url: join(work, 'repo'), password: 'mount-test-password' });
  const job = await stack.api.createJob({ name: 'mount-src', agent: 'local', repositoryId: repo.id, paths: [source] });
  const run = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 120_000 });
  expect(run.status).toBe('succeeded');
  snapshotId = run.snapshotId!;
});

afterAll(async () => {
  // A failed test may leave the mount up: take it down through the API before the stack goes.
  await stack?.api.unmountSnapshot(snapshotId).catch(() => undefined);
  await stack?.stop();
  await pg?.stop();
  // Last: every process that wrote there has stopped.
  removeWorkDir(work);
});

/** findmnt's view of one mount point: its targets (one per stacked mount), none when unmounted. */
function findmnt(path: string): string[] {
  try {
    return execFileSync('findmnt', ['-n', '-o', 'TARGET', '--mountpoint', path], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return []; // exit 1: nothing mounted there
  }
}

/** PIDs of `restic mount` processes of Backstop (the path template is their marker). */
function resticMounts(): number[] {
  const out = execFileSync('pgrep', ['-x', 'restic'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  return out.split('\n').filter(Boolean).map(Number).filter((pid) => commandLineHas(pid, MOUNT_PATH_TEMPLATE));
}
const resticMountPids = () => {
  try {
    return resticMounts();
  } catch {
    return [];
  }
};

/** The mount point: the snapshot's path without its `/ids/<id>` tail. */
const mountPointOf = (path: string) => path.slice(0, path.length - `/ids/${snapshotId}`.length);

test('POST mounts, GET waits for it, the files read back byte for byte, findmnt shows it; DELETE takes it down', async () => {
  const started = await stack.api.mountSnapshot(snapshotId, { ttlSeconds: 600 });
  expect(started.snapshotId).toBe(snapshotId);
  expect(['starting', 'mounted']).toContain(started.state);

  // Idempotent: a second POST answers the same mount.
  const again = await stack.api.mountSnapshot(snapshotId);
  expect(again.mountId).toBe(started.mountId);

  const up = await waitFor('the mount to be up', async () => {
    const m = await stack.api.snapshotMount(snapshotId, 60);
    if (m.state === 'ended') throw new Error(`mount ended: ${m.failureReason}`);
    return m.state === 'mounted' ? m : null;
  }, 120_000);
  // The GET came after the POST (a round trip and workflow tasks later): its use moved the expiry.
  expect(Date.parse(up.expiresAt)).toBeGreaterThan(Date.parse(started.expiresAt));
  const path = up.path!;
  const source = join(work, 'src');
  // restic shows the snapshot's paths as they were backed up, under its directory.
  expect(readFileSync(join(path, source, 'sub', 'data.bin')).equals(content)).toBe(true);
  expect(readFileSync(join(path, source, 'hello.txt'), 'utf8')).toBe('hello mount\n');
  const mountPoint = mountPointOf(path);
  expect(mountPoint).toBe(join(stack.dir, 'data', 'server', 'mounts', up.mountId));
  expect(findmnt(mountPoint)).toEqual([mountPoint]);
  expect(resticMountPids()).toHaveLength(1);

  const down = await stack.api.unmountSnapshot(snapshotId);
  expect(down).toMatchObject({ state: 'ended', endReason: 'unmounted', path: null });
  expect(findmnt(mountPoint)).toEqual([]);
  expect(existsSync(mountPoint)).toBe(false);
  expect(resticMountPids()).toEqual([]);

  // Once unmounted, a read finds no mount (404, as after any DELETE), and says how the last one ended.
  await expect(stack.api.snapshotMount(snapshotId)).rejects.toMatchObject({ status: 404, message: expect.stringContaining('its last mount ended (unmounted)') });
  // DELETE stays idempotent: it shows the mount as it ended.
  expect(await stack.api.unmountSnapshot(snapshotId)).toMatchObject({ state: 'ended', endReason: 'unmounted' });
});

test('kill -9 of the server worker while mounted: the restart removes the dead mount and its restic, then mounts again', async () => {
  await stack.api.mountSnapshot(snapshotId, { ttlSeconds: 600 });
  const up = await waitFor('the mount to be up', async () => {
    const m = await stack.api.snapshotMount(snapshotId, 60);
    return m.state === 'mounted' ? m : null;
  }, 120_000);
  const mountPoint = mountPointOf(up.path!);
  const [oldPid] = resticMountPids();
  expect(oldPid).toBeDefined();

  await stack.kill9('server-worker');
  // restic outlives the worker (it is not in the worker's process group's way): the FUSE mount stays.
  expect(commandLineHas(oldPid!, MOUNT_PATH_TEMPLATE)).toBe(true);
  expect(findmnt(mountPoint)).toEqual([mountPoint]);

  await stack.start('server-worker');
  // The old restic is killed at worker start, before any task.
  await waitFor('the leftover restic mount to be killed', async () => !commandLineHas(oldPid!, MOUNT_PATH_TEMPLATE), 60_000);

  // The activity's heartbeat times out; its retry on the new worker mounts again.
  const back = await waitFor('the mount to be up again', async () => {
    const m = await stack.api.snapshotMount(snapshotId, 60);
    if (m.state === 'ended') throw new Error(`mount ended: ${m.failureReason}`);
    return m.state === 'mounted' && m.attempts > up.attempts ? m : null;
  }, 180_000);
  expect(back.mountId).toBe(up.mountId);
  // Exactly one mount on the mount point (the dead one was removed, not stacked under), one restic.
  expect(findmnt(mountPoint)).toEqual([mountPoint]);
  const pids = resticMountPids();
  expect(pids).toHaveLength(1);
  expect(pids[0]).not.toBe(oldPid);
  expect(readFileSync(join(back.path!, work, 'src', 'hello.txt'), 'utf8')).toBe('hello mount\n');

  const down = await stack.api.unmountSnapshot(snapshotId);
  expect(down.state).toBe('ended');
  expect(findmnt(mountPoint)).toEqual([]);
  expect(resticMountPids()).toEqual([]);
});
