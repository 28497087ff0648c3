// Container jobs through the whole stack (issue 19 item 3): the API, the files backup
// workflow with its container planning step, the agent's container activities, restic. A
// directory container's root filesystem (every kind of entry, odd modes, a non-root owner,
// a device node) is backed up and comes back as a directory tree and as a tar, the same
// tree both ways; an LXC busybox container made offline is found by its name; a running one
// on btrfs is frozen only while its snapshot is taken; what cannot be served fails with its
// reason.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Stack } from '../support/stack';
import { problemOf } from '../support/problem';
import { waitFor } from '../support/wait';
import { removeWorkDir } from '../support/work-dir';
import { btrfsUnavailable, makeBtrfs, type LoopFs } from '../support/loop-fs';
import { toolPath } from '../support/tools';
import type { ApiRun } from '../../core/api-client';
import type { ContainerRunDetails } from '../../contract/container';

jest.setTimeout(300_000);

let pg: Postgres;
let stack: Stack;
let work: string;
let restores: string;
let repositoryId: number;

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: 'pipe' }).toString();
const PASSWORD = 'container jobs password';

/**
 * A run's workflow history as the Temporal CLI exports it: the password must not be in it.
 * `RECORD_HISTORIES=1` keeps it for the replay test (test/workflow/replay.test.ts).
 */
async function checkHistory(workflowId: string, recordAs: string): Promise<void> {
  const { stdout: json } = await promisify(execFile)(toolPath('temporal'), ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', stack.temporalAddress], { maxBuffer: 64 * 1024 * 1024 });
  expect(json).not.toContain(PASSWORD);
  expect(json).not.toContain(Buffer.from(PASSWORD).toString('base64'));
  if (process.env.RECORD_HISTORIES === '1') writeFileSync(join(__dirname, '..', 'workflow', 'histories', recordAs), json);
}

const containerOf = (r: ApiRun) => (r.details as unknown as ContainerRunDetails).container;

/** Why LXC containers cannot be made here, or null when `lxc-create -t busybox` works. */
function lxcUnavailable(): string | null {
  try {
    run('sh', ['-c', 'command -v lxc-create && command -v lxc-info && command -v busybox']);
  } catch {
    return 'lxc-create or busybox is not installed (scripts/setup.sh installs lxc and busybox-static)';
  }
  return null;
}
const noLxc = lxcUnavailable();
if (noLxc) console.warn(`LXC container tests skipped: ${noLxc}`);

/** Every entry under `root`: type, mode, owner, device, content or link target, by relative path. */
function describeTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const s = lstatSync(p);
      const kind = s.isFile() ? 'file' : s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'link' : s.isCharacterDevice() ? 'chr' : s.isBlockDevice() ? 'blk' : s.isFIFO() ? 'fifo' : 'other';
      const what = s.isFile() ? readFileSync(p).toString('base64') : s.isSymbolicLink() ? readlinkSync(p) : s.isCharacterDevice() || s.isBlockDevice() ? `rdev=${s.rdev}` : '';
      // A symlink's own mode is always 0777 on Linux; its owner is kept.
      out[r] = `${kind} ${(s.mode & 0o7777).toString(8)} ${s.uid}:${s.gid} ${what}`;
      if (s.isDirectory()) walk(p, r);
    }
  };
  walk(root, '');
  return out;
}

/** A small root filesystem with what a container's has: owners, modes, links, a device node, a fifo. */
function writeRootfs(root: string): void {
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'dev'));
  mkdirSync(join(root, 'tmp'));
  mkdirSync(join(root, 'home', 'app'), { recursive: true });
  mkdirSync(join(root, 'bin'));
  writeFileSync(join(root, 'etc', 'hostname'), 'web1\n');
  writeFileSync(join(root, 'etc', 'shadow'), 'root:*:19000:0:99999:7:::\n');
  chmodSync(join(root, 'etc', 'shadow'), 0o640);
  chownSync(join(root, 'etc', 'shadow'), 0, 42);
  writeFileSync(join(root, 'bin', 'tool'), '#!/bin/sh\necho tool\n');
  chmodSync(join(root, 'bin', 'tool'), 0o4755);
  chmodSync(join(root, 'tmp'), 0o1777);
  writeFileSync(join(root, 'home', 'app', 'data.txt'), 'owned by the container user 100000+1000\n');
  chownSync(join(root, 'home', 'app', 'data.txt'), 101000, 101000);
  chownSync(join(root, 'home', 'app'), 101000, 101000);
  chmodSync(join(root, 'home', 'app'), 0o750);
  symlinkSync('../bin/tool', join(root, 'etc', 'tool-link'));
  symlinkSync('/etc/hostname', join(root, 'hostname-abs'));
  run('mknod', ['-m', '0666', join(root, 'dev', 'null'), 'c', '1', '3']);
  run('mkfifo', [join(root, 'dev', 'initctl')]);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-containers-'));
  restores = join(work, 'restores');
  mkdirSync(restores);
  pg = await startPostgres();
  stack = await startStack({ databaseUrl: pg.url, env: { BACKSTOP_RESTORE_ROOTS: restores } });
  repositoryId = (await stack.api.createRepository({ name: 'containers', url: join(work, 'repo'), password: PASSWORD })).id;
});

afterAll(async () => {
  await stack?.stop();
  await pg?.stop();
  removeWorkDir(work);
});

describe('creating a container job', () => {
  it.each([
    ['paths on a container job', { kind: 'container', container: { runtime: 'directory', name: 'c', rootfs: '/srv/c' }, paths: ['/srv'] }, '/paths'],
    ['excludes on a container job', { kind: 'container', container: { runtime: 'lxc', name: 'c' }, excludes: ['*.log'] }, '/excludes'],
    ['an unknown runtime', { kind: 'container', container: { runtime: 'docker', name: 'c' } }, '/container/runtime'],
    ['a container without its name', { kind: 'container', container: { runtime: 'lxc' } }, '/container'],
    ['a directory container without its root filesystem', { kind: 'container', container: { runtime: 'directory', name: 'c' } }, '/container/rootfs'],
    ['a container job without its container', { kind: 'container' }, '/container'],
    ['a container on a files job', { paths: ['/srv'], container: { runtime: 'lxc', name: 'c' } }, '/container'],
  ])('refuses %s with a 400 naming the field, and stores nothing', async (_what, body, path) => {
    const name = `bad-${path.replace(/\W/g, '')}-${Math.random().toString(36).slice(2, 8)}`;
    const err = await problemOf(stack.api.createJob({ name, agent: 'local', repositoryId, ...body } as never));
    expect(err.status).toBe(400);
    const errors = (err.problem as { errors?: Array<{ path: string }> }).errors ?? [];
    // Schema violations are named `body/container/runtime`, the API's own checks `/container/rootfs`.
    expect(errors.map((e) => e.path.replace(/^body/, '')).some((p) => p.startsWith(path))).toBe(true);
    expect((await stack.api.listJobs()).map((j) => j.name)).not.toContain(name);
  });
});

describe('a directory container', () => {
  let rootfs: string;
  let config: string;
  let snapshotId: string;
  let jobId: number;

  beforeAll(async () => {
    rootfs = join(work, 'web1', 'rootfs');
    writeRootfs(rootfs);
    config = join(work, 'web1', 'web1.conf');
    writeFileSync(config, 'memory: 512\nrootfs: web1/rootfs\n');
    const job = await stack.api.createJob({ name: 'web1', agent: 'local', repositoryId, kind: 'container', container: { runtime: 'directory', name: 'web1', rootfs, config } });
    expect(job).toMatchObject({ kind: 'container', container: { runtime: 'directory', name: 'web1', rootfs, config }, paths: [], guest: null });
    jobId = job.id;
  });

  it('backs up the root filesystem and the configuration as a container snapshot', async () => {
    const { runId } = await stack.api.runJob(jobId);
    const r = await stack.api.waitForRun(runId, { timeoutMs: 120_000 });
    expect(r).toMatchObject({ status: 'succeeded', warnings: [] });
    expect(containerOf(r)).toEqual({ runtime: 'directory', name: 'web1', rootfs, configRoot: join(work, 'web1'), configFiles: [config], frozen: false });
    snapshotId = r.snapshotId!;
    const [snapshot] = await stack.api.listSnapshots(jobId);
    expect(snapshot!.id).toBe(snapshotId);
    expect(snapshot!.paths.sort()).toEqual([config, rootfs].sort());
    expect(snapshot!.tags).toContain('backstop-container=web1');
    await checkHistory(r.workflowId, 'container-backup-succeeded.json');
  });

  it('restores as a directory: the same tree, contents, modes, owners and device', async () => {
    const target = join(restores, 'web1-dir');
    const { runId } = await stack.api.restoreContainerSnapshot(snapshotId, { target, format: 'directory' });
    const r = await stack.api.waitForRun(runId, { timeoutMs: 120_000 });
    expect(r).toMatchObject({ kind: 'restore', status: 'succeeded' });
    expect(r.details).toMatchObject({ container: { name: 'web1', format: 'directory', target, rootfs: join(target, 'rootfs'), configFiles: [join(target, 'config', 'web1.conf')] } });
    expect(describeTree(join(target, 'rootfs'))).toEqual(describeTree(rootfs));
    expect(readFileSync(join(target, 'config', 'web1.conf'), 'utf8')).toBe(readFileSync(config, 'utf8'));
  });

  it('restores as a tar relative to the root filesystem with numeric owners, which extracts to the same tree', async () => {
    const target = join(restores, 'web1-tar');
    const { runId } = await stack.api.restoreContainerSnapshot(snapshotId, { target, format: 'tar' });
    const r = await stack.api.waitForRun(runId, { timeoutMs: 120_000 });
    expect(r).toMatchObject({ kind: 'restore', status: 'succeeded' });
    const tar = join(target, 'rootfs.tar');
    expect(r.details).toMatchObject({ container: { format: 'tar', rootfs: tar, configFiles: [join(target, 'config', 'web1.conf')] } });
    await checkHistory(r.workflowId, 'container-restore-tar.json');
    const listing = run('tar', ['-tvf', tar, '--numeric-owner']);
    // Every member relative to the root filesystem (restic's dump holds the root's children, not the root itself).
    expect(run('tar', ['-tf', tar]).trim().split('\n').every((n) => n.startsWith('./'))).toBe(true);
    expect(listing).toMatch(/^crw-rw-rw- 0\/0 +1,3 .* \.\/dev\/null$/m);
    expect(listing).toMatch(/^prw-r--r-- 0\/0 .* \.\/dev\/initctl$/m);
    expect(listing).toMatch(/^-rw-r--r-- 101000\/101000 .* \.\/home\/app\/data\.txt$/m);
    expect(listing).toMatch(/^-rwsr-xr-x 0\/0 .* \.\/bin\/tool$/m);
    expect(listing).toMatch(/\.\/etc\/tool-link -> \.\.\/bin\/tool$/m);
    // Nothing named by the path it was backed up from.
    expect(listing).not.toContain(rootfs.slice(1));
    const extracted = join(work, 'web1-extracted');
    mkdirSync(extracted);
    run('tar', ['-xpf', tar, '--numeric-owner', '-C', extracted]);
    expect(describeTree(extracted)).toEqual(describeTree(rootfs));
    expect(readFileSync(join(target, 'config', 'web1.conf'), 'utf8')).toBe(readFileSync(config, 'utf8'));
  });

  it('refuses a target outside the restore roots or one that exists, before writing anything', async () => {
    const outside = join(work, 'outside-roots');
    const existing = join(restores, 'exists');
    mkdirSync(existing);
    writeFileSync(join(existing, 'keep.txt'), 'keep\n');
    for (const [target, reason] of [
      [outside, /is not a new directory inside this agent's allowed restore roots/],
      [existing, /exists \(a directory that is not empty\)/],
    ] as const) {
      const { runId } = await stack.api.restoreContainerSnapshot(snapshotId, { target, format: 'tar' });
      const r = await stack.api.waitForRun(runId, { timeoutMs: 60_000 });
      expect(r.status).toBe('failed');
      expect(r.failureReason).toMatch(reason);
    }
    expect(existsSync(outside)).toBe(false);
    expect(readdirSync(existing)).toEqual(['keep.txt']);
  });

  it('refuses a container restore of a snapshot that is not a container backup', async () => {
    const files = join(work, 'plain');
    mkdirSync(files);
    writeFileSync(join(files, 'a'), 'a\n');
    const job = await stack.api.createJob({ name: 'plain-files', agent: 'local', repositoryId, paths: [files] });
    const r = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 120_000 });
    expect(r.status).toBe('succeeded');
    const err = await problemOf(stack.api.restoreContainerSnapshot(r.snapshotId!, { target: join(restores, 'nope'), format: 'directory' }));
    expect(err.status).toBe(400);
    expect(JSON.stringify(err.problem)).toContain('is not a container job');
  });
});

describe('a container that is not there', () => {
  it('fails its run with the reason, for a missing LXC container and a missing root filesystem', async () => {
    const cases = [
      { name: 'ghost-lxc', container: { runtime: 'lxc' as const, name: 'backstop-no-such-container' }, reason: 'LXC container "backstop-no-such-container" does not exist on this agent: no /var/lib/lxc/backstop-no-such-container/config' },
      { name: 'ghost-dir', container: { runtime: 'directory' as const, name: 'ghost', rootfs: join(work, 'no-such-rootfs') }, reason: `container "ghost": its root filesystem ${join(work, 'no-such-rootfs')} is not a directory on this agent` },
    ];
    for (const c of cases) {
      const job = await stack.api.createJob({ name: c.name, agent: 'local', repositoryId, kind: 'container', container: c.container });
      const r = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 120_000 });
      expect(r.status).toBe('failed');
      expect(r.failureReason).toContain(c.reason);
      expect(r.snapshotId).toBeNull();
    }
  });
});

const describeLxc = noLxc ? describe.skip : describe;

describeLxc('an LXC busybox container made offline', () => {
  const name = `backstop-ct-${process.pid}`;
  afterAll(() => {
    try {
      run('lxc-destroy', ['-n', name, '-f']);
    } catch {
      // Not created.
    }
  });

  it('is found by its name, backed up stopped, and restores as a tar with its config', async () => {
    run('lxc-create', ['-n', name, '-t', 'busybox']);
    const job = await stack.api.createJob({ name, agent: 'local', repositoryId, kind: 'container', container: { runtime: 'lxc', name } });
    const r = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 120_000 });
    expect(r.status).toBe('succeeded');
    expect(containerOf(r)).toEqual({ runtime: 'lxc', name, rootfs: `/var/lib/lxc/${name}/rootfs`, configRoot: `/var/lib/lxc/${name}`, configFiles: [`/var/lib/lxc/${name}/config`], frozen: false });
    const target = join(restores, `${name}-tar`);
    const restore = await stack.api.waitForRun((await stack.api.restoreContainerSnapshot(r.snapshotId!, { target, format: 'tar' })).runId, { timeoutMs: 120_000 });
    expect(restore.status).toBe('succeeded');
    const names = run('tar', ['-tf', join(target, 'rootfs.tar')]).trim().split('\n');
    expect(names).toEqual(expect.arrayContaining(['./bin/', './bin/busybox', './etc/passwd']));
    expect(readFileSync(join(target, 'config', 'config'), 'utf8')).toContain(`lxc.rootfs.path = dir:/var/lib/lxc/${name}/rootfs`);
  });
});

const noBtrfs = btrfsUnavailable();
if (noBtrfs) console.warn(`container snapshot-mode test skipped: ${noBtrfs}`);
const describeRunning = noLxc || noBtrfs ? describe.skip : describe;

describeRunning('a running LXC container on btrfs with snapshot mode auto', () => {
  const name = `backstop-run-${process.pid}`;
  let fs: LoopFs;
  afterAll(() => {
    try {
      run('lxc-stop', ['-n', name, '-k']);
    } catch {
      // Not running.
    }
    try {
      run('lxc-destroy', ['-n', name, '-f']);
    } catch {
      // Not created.
    }
    fs?.remove();
  });

  it('is frozen while its snapshot is taken, thawed after, and its rootfs read from the snapshot', async () => {
    fs = makeBtrfs(join(work, 'btrfs'), 512, ['lxc']);
    const rootfs = join(fs.mountPoint, 'lxc', name, 'rootfs');
    run('lxc-create', ['-n', name, '-t', 'busybox', '-B', 'dir', '--dir', rootfs]);
    // No network in the sandbox: an empty network namespace.
    run('lxc-start', ['-n', name, '-d', '-s', 'lxc.net.0.type=empty']);
    await waitFor('the container to run', async () => run('lxc-info', ['-n', name, '-s']).includes('RUNNING'));
    const job = await stack.api.createJob({ name, agent: 'local', repositoryId, kind: 'container', container: { runtime: 'lxc', name }, snapshotMode: 'auto' });
    const r = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 120_000 });
    // auto: the rootfs from its btrfs snapshot, the config under /var/lib/lxc read live (a warning says so).
    expect(['succeeded', 'warning']).toContain(r.status);
    expect(containerOf(r)).toMatchObject({ rootfs, frozen: true });
    expect(run('lxc-info', ['-n', name, '-s'])).toContain('RUNNING');
    const target = join(restores, `${name}-dir`);
    const restore = await stack.api.waitForRun((await stack.api.restoreContainerSnapshot(r.snapshotId!, { target, format: 'directory' })).runId, { timeoutMs: 120_000 });
    expect(restore.status).toBe('succeeded');
    expect(existsSync(join(target, 'rootfs', 'bin', 'busybox'))).toBe(true);
    // The btrfs snapshot was released.
    expect(run('btrfs', ['subvolume', 'list', fs.mountPoint])).not.toContain('.backstop-snapshots/');
  });
});
