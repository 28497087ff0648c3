// Guest disk NBD exports through the whole stack (issue 19, item 2): a guest job backs up a
// disk of a real qemu-storage-daemon; the API exports the snapshot's disk on the agent, which
// restores it into a new image and serves it with its own qemu-storage-daemon; libnbd's
// `nbdcopy`/`nbdinfo` read it (and write it) as a hypervisor would. Released, expired, or
// brought back after the agent was killed -9: the test waits on the export's reported state
// and looks at the host (daemon processes, socket, image) for what is left.
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Stack } from '../support/stack';
import { startGuestDisk, type GuestDisk } from '../support/qemu-storage-daemon';
import { problemOf } from '../support/problem';
import { waitFor } from '../support/wait';
import { TOOLS_BIN, toolPath } from '../support/tools';
import { removeWorkDir } from '../support/work-dir';
import type { components } from '../../contract/generated/api-schema';

jest.setTimeout(300_000);

const run = promisify(execFile);
const MiB = 1024 * 1024;
const SIZE = 16 * MiB;
const PASSWORD = 'guest nbd export password';

type GuestDiskExport = components['schemas']['GuestDiskExport'];

let pg: Postgres;
let stack: Stack;
let work: string;
let disk: GuestDisk;
let restores: string;
let failDump: string;
let snapshotId: string;
let frozen: string;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const socketOf = (uri: string) => new URL(uri).searchParams.get('socket')!;

/** PIDs of qemu-storage-daemons serving `socket` (the test's guest disk daemon serves none). */
function daemonsOn(socket: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const args = cmdline.split('\0');
    if (args[0]?.endsWith('qemu-storage-daemon') && args.some((a) => a.includes(socket))) pids.push(Number(entry));
  }
  return pids;
}

async function exportUntil(e: GuestDiskExport, what: string, done: (e: GuestDiskExport) => boolean): Promise<GuestDiskExport> {
  return waitFor(what, async () => {
    const now = await stack.api.guestDiskExport(snapshotId, 'scsi0', e.exportId, 5);
    if (now.state === 'ended' && !done(now)) throw new Error(`export ended: ${now.endReason} ${now.failureReason}`);
    return done(now) ? now : null;
  }, 180_000, 200);
}

const exported = (e: GuestDiskExport) => exportUntil(e, 'the export to be up', (x) => x.state === 'exported');
const ended = (e: GuestDiskExport) => exportUntil(e, 'the export to end', (x) => x.state === 'ended');

/**
 * An export's workflow history as the Temporal CLI exports it: the password must not be in it.
 * `RECORD_HISTORIES=1` keeps it for the replay test (test/workflow/replay.test.ts).
 */
async function checkHistory(workflowId: string, recordAs: string): Promise<void> {
  const { stdout: json } = await run(toolPath('temporal'), ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', stack.temporalAddress], { maxBuffer: 64 * 1024 * 1024 });
  expect(json).not.toContain(PASSWORD);
  expect(json).not.toContain(Buffer.from(PASSWORD).toString('base64'));
  if (process.env.RECORD_HISTORIES === '1') writeFileSync(join(__dirname, '..', 'workflow', 'histories', recordAs), json);
}

async function readExport(uri: string, name: string): Promise<string> {
  const out = join(work, name);
  await run('nbdcopy', [uri, out]);
  try {
    return sha(readFileSync(out));
  } finally {
    rmSync(out, { force: true });
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-guest-nbd-'));
  disk = await startGuestDisk(work, SIZE);
  restores = join(work, 'restores');
  mkdirSync(restores);
  // restic that fails its dumps (wrong password: no retry) while this file exists, to fail a restore after its target was accepted.
  failDump = join(work, 'fail-dump');
  const wrapper = join(work, 'restic');
  writeFileSync(wrapper, `#!/bin/sh\nif [ "$1" = dump ] && [ -e '${failDump}' ]; then echo 'Fatal: wrong password or no key found' >&2; exit 1; fi\nexec '${join(TOOLS_BIN, '..', '..', 'bin', 'restic')}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  pg = await startPostgres();
  // A short heartbeat timeout: a killed agent's hold is noticed within seconds.
  stack = await startStack({ databaseUrl: pg.url, env: { BACKSTOP_RESTORE_ROOTS: restores, BACKSTOP_RESTIC: wrapper, BACKSTOP_ENGINE_HEARTBEAT_TIMEOUT_MS: '5000' } });
  const repositoryId = (await stack.api.createRepository({ name: 'guests', url: join(work, 'repo'), password: PASSWORD })).id;
  const job = await stack.api.createJob({ name: 'vm-200', agent: 'local', repositoryId, kind: 'guest', guest: { qmpSocket: disk.qmpSocket, disks: [{ name: 'scsi0', node: disk.node }], segmentBytes: MiB } });
  for (const at of [0, 3, 11]) disk.write(at * MiB + 512, randomBytes(MiB + 4321));
  frozen = sha(disk.read(0, SIZE));
  const backup = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 180_000 });
  expect(backup.status).toBe('succeeded');
  snapshotId = backup.snapshotId!;
});

afterAll(async () => {
  // A failed test may have left an export up: its daemon is no child of anything here.
  if (work) for (const pid of daemonsOn(work)) process.kill(pid, 'SIGKILL');
  await stack?.stop();
  await pg?.stop();
  await disk?.stop();
  removeWorkDir(work);
});

describe('exporting a guest disk over NBD', () => {
  it('serves the disk read-only, byte for byte as backed up, as a restore run that succeeded; release stops the daemon and keeps the image', async () => {
    const target = join(restores, 'ro.raw');
    const started = await stack.api.exportGuestDisk(snapshotId, 'scsi0', { target });
    expect(started).toMatchObject({ exportId: started.runId, state: 'starting', writable: false, nbdUri: null });
    const up = await exported(started);
    expect(up).toMatchObject({ target, attempts: 1, endReason: null, expiresAt: null });
    expect(up.bytesRestored).toBeGreaterThanOrEqual(3 * MiB);
    const socket = socketOf(up.nbdUri!);
    expect(up.nbdUri).toBe(`nbd+unix:///scsi0?socket=${socket}`);
    expect(socket.startsWith(join(stack.dir, 'data', 'agents', 'local', 'nbd-exports'))).toBe(true);

    expect(await readExport(up.nbdUri!, 'ro-read.raw')).toBe(frozen);
    const info = JSON.parse((await run('nbdinfo', ['--json', up.nbdUri!])).stdout) as { exports: Array<{ is_read_only: boolean; 'export-size': number }> };
    expect(info.exports[0]).toMatchObject({ is_read_only: true, 'export-size': SIZE });
    const patch = join(work, 'patch.bin');
    writeFileSync(patch, randomBytes(64 * 1024));
    await expect(run('nbdcopy', [patch, up.nbdUri!])).rejects.toMatchObject({ stderr: expect.stringContaining('read-only') });

    const runRecord = await stack.api.getRun(started.runId);
    expect(runRecord).toMatchObject({ kind: 'restore', status: 'succeeded', details: { guest: { target, targetKind: 'image-file', disk: 'scsi0', nbdExport: { exportId: started.exportId, nbdUri: up.nbdUri, writable: false } } } });
    expect(daemonsOn(socket)).toHaveLength(1);

    const released = await stack.api.releaseGuestDiskExport(snapshotId, 'scsi0', started.exportId);
    expect(released).toMatchObject({ state: 'ended', endReason: 'released', failureReason: null, nbdUri: null });
    expect(daemonsOn(socket)).toEqual([]);
    expect(existsSync(socket)).toBe(false);
    expect(existsSync(socket.replace(/\.sock$/, '.pid'))).toBe(false);
    expect(sha(readFileSync(target))).toBe(frozen);
    // An ended export is shown as it ended.
    expect(await stack.api.guestDiskExport(snapshotId, 'scsi0', started.exportId)).toMatchObject({ state: 'ended', endReason: 'released' });
    await checkHistory(started.workflowId, 'guest-nbd-export-released.json');
  });

  it('takes a writable export\'s writes into the target image', async () => {
    const target = join(restores, 'rw.raw');
    const up = await exported(await stack.api.exportGuestDisk(snapshotId, 'scsi0', { target, writable: true }));
    expect(up.writable).toBe(true);
    const data = randomBytes(64 * 1024);
    const patch = join(work, 'rw-patch.bin');
    writeFileSync(patch, data);
    await run('nbdcopy', [patch, up.nbdUri!]);
    await stack.api.releaseGuestDiskExport(snapshotId, 'scsi0', up.exportId);
    const image = readFileSync(target);
    expect(image.subarray(0, data.length).equals(data)).toBe(true);
    expect(image.length).toBe(SIZE);
  });

  it('releases itself once its TTL has passed', async () => {
    const up = await exported(await stack.api.exportGuestDisk(snapshotId, 'scsi0', { target: join(restores, 'ttl.raw'), ttlSeconds: 5 }));
    expect(up.expiresAt).not.toBeNull();
    const socket = socketOf(up.nbdUri!);
    const end = await ended(up);
    expect(end).toMatchObject({ endReason: 'expired', failureReason: null });
    expect(daemonsOn(socket)).toEqual([]);
    expect(existsSync(socket)).toBe(false);
    expect(existsSync(join(restores, 'ttl.raw'))).toBe(true);
  });

  it('comes back on the same socket after its agent was killed -9, with one daemon', async () => {
    const up = await exported(await stack.api.exportGuestDisk(snapshotId, 'scsi0', { target: join(restores, 'crash.raw') }));
    const socket = socketOf(up.nbdUri!);
    const [before] = daemonsOn(socket);
    expect(before).toBeDefined();
    // The agent holds the export (its hold activity has heartbeated) before it is killed; killed
    // earlier, the new agent would simply hold the daemon the dead one started.
    const workflow = stack.temporal.workflow.getHandle(up.workflowId);
    await waitFor('the hold to run on the agent', async () => (await workflow.describe()).raw.pendingActivities?.some((a) => a.activityType?.name === 'holdGuestNbdExport' && a.lastHeartbeatTime), 60_000, 200);
    await stack.kill9('agent');
    await stack.start('agent');
    const back = await exportUntil(up, 'the export to come back', (x) => x.state === 'exported' && x.attempts >= 2);
    expect(back.nbdUri).toBe(up.nbdUri);
    const after = daemonsOn(socket);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before);
    expect(await readExport(back.nbdUri!, 'crash-read.raw')).toBe(frozen);
    await stack.api.releaseGuestDiskExport(snapshotId, 'scsi0', up.exportId);
    expect(daemonsOn(socket)).toEqual([]);
    await checkHistory(up.workflowId, 'guest-nbd-export-agent-killed.json');
  });

  it('an export whose workflow was terminated is stopped by the next start of its agent', async () => {
    const up = await exported(await stack.api.exportGuestDisk(snapshotId, 'scsi0', { target: join(restores, 'terminated.raw') }));
    const socket = socketOf(up.nbdUri!);
    expect(daemonsOn(socket)).toHaveLength(1);
    await stack.temporal.workflow.getHandle(up.workflowId).terminate('test: an operator terminated it in the Web UI');
    // Nothing released it: the daemon runs on until the agent starts again.
    expect(daemonsOn(socket)).toHaveLength(1);
    await stack.kill9('agent');
    await stack.start('agent');
    await waitFor('the sweep at agent start to stop the daemon and remove its socket', async () => daemonsOn(socket).length === 0 && !existsSync(socket), 60_000, 200);
    await waitFor('its pid file removed', async () => !existsSync(socket.replace(/\.sock$/, '.pid')), 10_000, 100);
    expect(await stack.api.guestDiskExport(snapshotId, 'scsi0', up.exportId)).toMatchObject({ state: 'ended', endReason: 'failed', failureReason: expect.stringMatching(/terminated/) });
  });
});

describe('an export that cannot be made', () => {
  it('refuses a target outside the restore roots before anything is written, and an existing one', async () => {
    const outside = join(work, 'outside.raw');
    const refused = await ended(await stack.api.exportGuestDisk(snapshotId, 'scsi0', { target: outside }));
    expect(refused).toMatchObject({ endReason: 'failed', nbdUri: null, attempts: 0 });
    expect(refused.failureReason).toMatch(/outside this agent's allowed restore roots/);
    expect(existsSync(outside)).toBe(false);
    expect((await stack.api.getRun(refused.exportId)).status).toBe('failed');

    const existing = join(restores, 'ro.raw');
    const before = sha(readFileSync(existing));
    const taken = await ended(await stack.api.exportGuestDisk(snapshotId, 'scsi0', { target: existing }));
    expect(taken.failureReason).toMatch(/exists/);
    expect(sha(readFileSync(existing))).toBe(before);
  });

  it('removes the image of a restore that failed, and starts no daemon', async () => {
    const target = join(restores, 'failed.raw');
    writeFileSync(failDump, '');
    let failedId = '';
    try {
      const failed = await ended(await stack.api.exportGuestDisk(snapshotId, 'scsi0', { target }));
      failedId = failed.exportId;
      expect(failed).toMatchObject({ endReason: 'failed', attempts: 0 });
      expect(failed.failureReason).toMatch(/wrong (repository )?password/);
    } finally {
      rmSync(failDump, { force: true });
    }
    expect(existsSync(target)).toBe(false);
    const short = failedId.replace(/-/g, '').slice(0, 16);
    expect(readdirSync(join(stack.dir, 'data', 'agents', 'local', 'nbd-exports')).filter((f) => f.startsWith(short))).toEqual([]);
  });

  it('answers 404 for a disk the guest does not have or an export it never had, 400 for a TTL out of bounds', async () => {
    expect((await problemOf(stack.api.exportGuestDisk(snapshotId, 'virtio9', { target: join(restores, 'x.raw') }))).status).toBe(404);
    expect((await problemOf(stack.api.guestDiskExport(snapshotId, 'scsi0', '0f8e2a4c-1111-4222-8333-444455556666'))).status).toBe(404);
    const ttl = await problemOf(stack.api.exportGuestDisk(snapshotId, 'scsi0', { target: join(restores, 'x.raw'), ttlSeconds: 1 }));
    expect(ttl.status).toBe(400);
    expect(JSON.stringify(ttl.problem)).toContain('ttlSeconds');
    expect(existsSync(join(restores, 'x.raw'))).toBe(false);
  });
});
