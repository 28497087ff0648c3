// The borg engine against a real local borg 1.2 repository: every BackupEngine operation,
// adoption of a run's archive by its tags, retention per archive group, a kill -9 mid-create
// and a live lock. No Backstop stack: the engine class alone.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Borg } from '../../activities/shared/engines/borg/borg';
import type { BackupRequest, RepositoryAccess } from '../../contract/engine';
import { BackstopError, ErrorType, NotFoundError, UnsupportedByEngineError } from '../../contract/errors';
import type { BackupProgress } from '../../contract/model';
import { itemTag, runTag } from '../../contract/names';
import { writeRandomFiles } from '../support/random-files';
import { waitFor } from '../support/wait';

jest.setTimeout(180_000);

let work: string;
let src: string;
let repo: RepositoryAccess;
let borg: Borg;
const PASSWORD = 'borg engine test passphrase';

function filesRequest(run: string, extra: Partial<BackupRequest> = {}): BackupRequest {
  return { paths: [src], excludes: ['*.log'], tags: [runTag(run), 'backstop-job=1'], host: 'agent-one', ...extra };
}

function streamRequest(run: string, command: string[]): BackupRequest {
  return {
    paths: ['/db.sql'],
    excludes: [],
    tags: [runTag(run), 'backstop-job=1', itemTag(5, 'db')],
    host: 'agent-one',
    stdin: { filename: '/db.sql', command },
  };
}

/** Collects what a stream receives. */
function sink(): { out: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  return { out, bytes: () => Buffer.concat(chunks) };
}

async function rejection(p: Promise<unknown>): Promise<BackstopError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof BackstopError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-borg-'));
  src = join(work, 'src');
  mkdirSync(join(src, 'sub'), { recursive: true });
  writeFileSync(join(src, 'hello.txt'), 'hello borg\n');
  writeFileSync(join(src, 'noise.log'), 'excluded\n');
  writeFileSync(join(src, 'sub', 'deep.txt'), 'deep\n');
  writeFileSync(join(src, 'sub', 'deep.log'), 'excluded too\n');
  writeRandomFiles(join(src, 'data'), 4, 256 * 1024);
  repo = { engine: 'borg', url: join(work, 'repo'), password: PASSWORD };
  borg = new Borg({ baseDir: join(work, 'borg-base'), killGraceMs: 2_000 });
  await borg.init(repo);
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('access', () => {
  test('the right passphrase opens the repository', async () => {
    await borg.verifyAccess(repo);
  });

  test('a wrong passphrase fails as RepositoryAuth, without the passphrase in the message', async () => {
    const err = await rejection(borg.verifyAccess({ ...repo, password: 'wrong one' }));
    expect(err.type).toBe(ErrorType.repositoryAuth);
    expect(err.message).not.toContain('wrong one');
  });

  test('no repository at the location fails as RepositoryMissing', async () => {
    const err = await rejection(borg.verifyAccess({ ...repo, url: join(work, 'nothing-here') }));
    expect(err.type).toBe(ErrorType.repositoryMissing);
  });
});

describe('backup and browsing', () => {
  let id: string;

  test('a backup reports progress and stats, leaves out the excludes and records host, paths and tags', async () => {
    const progress: BackupProgress[] = [];
    const outcome = await borg.backup(repo, filesRequest('backup/1/one'), { onProgress: (p) => progress.push(p) });
    id = outcome.snapshot.id;
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(progress.length).toBeGreaterThan(0);
    expect(outcome.unreadable).toEqual([]);
    expect(outcome.stats).toMatchObject({ filesNew: 6, totalFilesProcessed: 6, filesUnmodified: 0 });
    expect(outcome.stats!.totalBytesProcessed).toBeGreaterThan(4 * 256 * 1024);
    expect(outcome.snapshot).toMatchObject({ hostname: 'agent-one', paths: [src], tags: [runTag('backup/1/one'), 'backstop-job=1'] });

    const listed = await borg.listSnapshots(repo);
    expect(listed).toEqual([expect.objectContaining({ id, hostname: 'agent-one', paths: [src], tags: [runTag('backup/1/one'), 'backstop-job=1'] })]);
    expect(Date.parse(listed[0]!.time)).toBeGreaterThan(Date.now() - 600_000);
  });

  test('a second attempt of the same run adopts its archive instead of writing another', async () => {
    const found = await borg.findSnapshotsByTag(repo, runTag('backup/1/one'));
    expect(found.map((s) => s.id)).toEqual([id]);
    const again = await borg.backup(repo, filesRequest('backup/1/one'), {});
    expect(again.snapshot.id).toBe(id);
    expect((await borg.findSnapshotsByTag(repo, runTag('backup/1/one'))).length).toBe(1);
  });

  test('listDirectory shows one level, with parents borg does not store as directories', async () => {
    const root = await borg.listDirectory(repo, id, '/');
    expect(root).not.toBeNull();
    expect(root!.node).toBeNull();
    expect(root!.children.map((c) => c.path)).toEqual([`/${src.split('/')[1]}`]);
    const dir = await borg.listDirectory(repo, id.slice(0, 12), src);
    expect(dir!.node).toMatchObject({ path: src, type: 'dir' });
    const byName = Object.fromEntries(dir!.children.map((c) => [c.name, c]));
    expect(Object.keys(byName).sort()).toEqual(['data', 'hello.txt', 'sub']);
    expect(byName['hello.txt']).toMatchObject({ path: `${src}/hello.txt`, type: 'file', size: 11, uid: 0, permissions: '-rw-r--r--', mode: 0o644 });
    expect(byName.sub).toMatchObject({ type: 'dir', size: null });
    expect(await borg.listDirectory(repo, id, `${src}/missing`)).toBeNull();
  });

  test('an unknown snapshot id is NotFound', async () => {
    await expect(borg.listDirectory(repo, 'deadbeefdeadbeef', '/')).rejects.toBeInstanceOf(NotFoundError);
  });

  test('dumpFile streams a file; a directory is not a file', async () => {
    const s = sink();
    await borg.dumpFile(repo, id, `${src}/sub/deep.txt`, s.out);
    expect(s.bytes().toString()).toBe('deep\n');
    await expect(borg.dumpFile(repo, id, `${src}/sub`, sink().out)).rejects.toBeInstanceOf(NotFoundError);
  });

  test('dumpArchive writes a tar of a directory, members without the leading /', async () => {
    const s = sink();
    await borg.dumpArchive(repo, id, `${src}/sub`, s.out, {});
    const members = execFileSync('tar', ['-t'], { input: s.bytes() }).toString().trim().split('\n');
    expect(members.map((m) => m.replace(/\/$/, ''))).toEqual([`${src.slice(1)}/sub`, `${src.slice(1)}/sub/deep.txt`]);
  });

  test('restore with verify into an empty directory; planRestore says what it writes', async () => {
    const target = join(work, 'restore');
    const plan = await borg.planRestore(repo, id, target, { include: [`${src}/sub`] });
    expect(plan).toEqual([
      { path: `${src}/sub`, size: 0 },
      { path: `${src}/sub/deep.txt`, size: 5 },
    ]);
    const summary = await borg.restore(repo, id, target, {}, { verify: true });
    expect(summary).toMatchObject({ verified: true, filesSkipped: 0, filesTotal: summary.filesRestored });
    expect(summary.bytesTotal).toBeGreaterThan(4 * 256 * 1024);
    expect(readFileSync(join(target, src, 'hello.txt'), 'utf8')).toBe('hello borg\n');
    expect(existsSync(join(target, src, 'noise.log'))).toBe(false);
  });

  test('restore with a glob include restores only what matches', async () => {
    const target = join(work, 'restore-glob');
    await borg.restore(repo, id, target, {}, { include: ['*.txt'] });
    expect(existsSync(join(target, src, 'sub', 'deep.txt'))).toBe(true);
    expect(existsSync(join(target, src, 'data'))).toBe(false);
  });

  test('overwrite policies: never keeps, if-newer keeps newer, if-changed keeps unchanged, always replaces; verify skips what was kept', async () => {
    const target = join(work, 'policies');
    await borg.restore(repo, id, target, {}, {});
    const hello = join(target, src, 'hello.txt');
    const deep = join(target, src, 'sub', 'deep.txt');
    const snapshotTime = statSync(hello).mtime;
    // Local edits: hello older than the snapshot, deep newer.
    const edit = (file: string, text: string, at: Date) => {
      writeFileSync(file, text);
      utimesSync(file, at, at);
    };
    const older = new Date(snapshotTime.getTime() - 3_600_000);
    const newer = new Date(snapshotTime.getTime() + 3_600_000);
    const tamper = () => {
      edit(hello, 'local older edit', older);
      edit(deep, 'local newer edit', newer);
    };

    tamper();
    expect((await borg.planRestore(repo, id, target, { overwrite: 'never', include: [`${src}/sub`] })).map((p) => p.path)).toEqual([`${src}/sub`]);
    const never = await borg.restore(repo, id, target, {}, { overwrite: 'never', verify: true });
    expect(never).toMatchObject({ verified: true });
    expect(never.filesSkipped).toBeGreaterThanOrEqual(2);
    expect(readFileSync(hello, 'utf8')).toBe('local older edit');
    expect(readFileSync(deep, 'utf8')).toBe('local newer edit');

    tamper();
    await borg.restore(repo, id, target, {}, { overwrite: 'if-newer' });
    expect(readFileSync(hello, 'utf8')).toBe('hello borg\n');
    expect(readFileSync(deep, 'utf8')).toBe('local newer edit');

    // if-changed: the restored (unchanged) files are kept, an edited one is replaced.
    tamper();
    const changed = await borg.restore(repo, id, target, {}, { overwrite: 'if-changed', verify: true });
    expect(readFileSync(hello, 'utf8')).toBe('hello borg\n');
    expect(readFileSync(deep, 'utf8')).toBe('deep\n');
    expect(changed.filesSkipped).toBeGreaterThan(0);

    tamper();
    await borg.restore(repo, id, target, {}, { overwrite: 'always', verify: true });
    expect(readFileSync(deep, 'utf8')).toBe('deep\n');
  });
});

describe('streams', () => {
  test('a command’s stdout becomes one file /<filename>', async () => {
    const outcome = await borg.backup(repo, streamRequest('backup/1/one', ['sh', '-c', 'echo "dump of db"']), {});
    expect(outcome.snapshot.paths).toEqual(['/db.sql']);
    const s = sink();
    await borg.dumpFile(repo, outcome.snapshot.id, '/db.sql', s.out);
    expect(s.bytes().toString()).toBe('dump of db\n');
  });

  test('a failing command fails the backup and leaves no archive', async () => {
    const err = await rejection(borg.backup(repo, streamRequest('backup/1/failing', ['sh', '-c', 'echo partial; exit 3']), {}));
    expect(err.type).toBe(ErrorType.engine);
    expect(err.message).toMatch(/exited with status 3/);
    expect(await borg.findSnapshotsByTag(repo, runTag('backup/1/failing'))).toEqual([]);
  });
});

describe('retention', () => {
  beforeAll(async () => {
    for (const run of ['backup/1/two', 'backup/1/three']) {
      await borg.backup(repo, filesRequest(run), {});
      await borg.backup(repo, streamRequest(run, ['sh', '-c', `echo ${run}`]), {});
    }
    // Another job's archive: never touched by job 1's retention.
    await borg.backup(repo, { ...filesRequest('backup/2/one'), tags: [runTag('backup/2/one'), 'backstop-job=2'] }, {});
  });

  test('a dry run keeps the newest of each group (files, the db stream) and changes nothing', async () => {
    const before = await borg.listSnapshots(repo);
    const groups = await borg.forget(repo, { tags: ['backstop-job=1'], policy: { keepLast: 1 }, dryRun: true });
    expect(groups).toHaveLength(2);
    for (const g of groups) {
      expect(g.keep).toHaveLength(1);
      expect(g.keep[0]!.reasons).toEqual(['last snapshot']);
      expect(g.keep[0]!.snapshot.tags).toContain(runTag('backup/1/three'));
      expect(g.remove).toHaveLength(2);
    }
    const files = groups.find((g) => g.paths[0] === src)!;
    const stream = groups.find((g) => g.paths[0] === '/db.sql')!;
    expect(files.remove.every((s) => !s.tags.some((t) => t.startsWith('backstop-item=')))).toBe(true);
    expect(stream.remove.every((s) => s.tags.includes(itemTag(5, 'db')))).toBe(true);
    expect(await borg.listSnapshots(repo)).toEqual(before);
  });

  test('a real forget removes them; compact frees space; check passes', async () => {
    const groups = await borg.forget(repo, { tags: ['backstop-job=1'], policy: { keepLast: 1 }, dryRun: false });
    expect(groups.flatMap((g) => g.remove)).toHaveLength(4);
    const left = await borg.listSnapshots(repo);
    expect(left.map((s) => s.tags.find((t) => t.startsWith('backstop-run='))).sort()).toEqual([runTag('backup/1/three'), runTag('backup/1/three'), runTag('backup/2/one')]);
    const outcome = await borg.prune(repo, {});
    expect(outcome.blobsRemoved).toBeNull();
    expect(outcome.bytesFreed === null || outcome.bytesFreed >= 0).toBe(true);
    await borg.check(repo);
  });

  test('keep-by-tag and combined durations are not borg’s', async () => {
    await expect(borg.forget(repo, { tags: ['backstop-job=1'], policy: { keepTags: ['x'] }, dryRun: true })).rejects.toBeInstanceOf(UnsupportedByEngineError);
    await expect(borg.forget(repo, { tags: ['backstop-job=1'], policy: { keepWithin: '1y2m' }, dryRun: true })).rejects.toBeInstanceOf(UnsupportedByEngineError);
    const groups = await borg.forget(repo, { tags: ['backstop-job=1'], policy: { keepWithin: '2d' }, dryRun: true });
    expect(groups.flatMap((g) => g.keep.flatMap((k) => k.reasons))).toEqual(['within 2d', 'within 2d']);
  });

  test('forgetSnapshots deletes by id; an unknown id is NotFound and deletes nothing', async () => {
    const [first] = await borg.findSnapshotsByTag(repo, runTag('backup/2/one'));
    await expect(borg.forgetSnapshots(repo, [first!.id, 'abcdef0123456789'])).rejects.toBeInstanceOf(NotFoundError);
    expect(await borg.findSnapshotsByTag(repo, runTag('backup/2/one'))).toHaveLength(1);
    await borg.forgetSnapshots(repo, [first!.id.slice(0, 10)]);
    expect(await borg.findSnapshotsByTag(repo, runTag('backup/2/one'))).toHaveLength(0);
  });

  test('an append-only repository is never pruned, and borg does not even run', async () => {
    // A binary that does not exist: had borg been started, the error would say so.
    const noBorg = new Borg({ binary: join(work, 'no-such-borg') });
    const appendOnly = { ...repo, appendOnly: true };
    await expect(noBorg.forget(appendOnly, { tags: ['backstop-job=1'], policy: { keepLast: 1 }, dryRun: false })).rejects.toThrow(/append-only/);
    await expect(noBorg.prune(appendOnly, {})).rejects.toBeInstanceOf(UnsupportedByEngineError);
    // A dry run changes nothing: allowed.
    expect(await borg.forget(appendOnly, { tags: ['backstop-job=1'], policy: { keepLast: 1 }, dryRun: true })).toHaveLength(2);
  });
});

describe('crashes and locks', () => {
  test('kill -9 of borg mid-create: the retry of the run succeeds and the run has exactly one archive', async () => {
    const big = join(work, 'big');
    writeRandomFiles(big, 24, 8 * 1024 * 1024, { subdirs: 4 });
    const req: BackupRequest = { paths: [big], excludes: [], tags: [runTag('backup/1/crash'), 'backstop-job=1'], host: 'agent-one' };
    let pid = 0;
    let killed = false;
    const err = await rejection(
      borg.backup(repo, req, {
        onSpawn: (p) => (pid = p),
        onProgress: (p) => {
          // Mid-create: borg has read some of the data, not all of it.
          if (!killed && pid && p.bytesDone > 0) {
            killed = true;
            process.kill(pid, 'SIGKILL');
          }
        },
      }),
    );
    expect(killed).toBe(true);
    expect(err.type).toBe(ErrorType.engine);
    expect(await borg.findSnapshotsByTag(repo, runTag('backup/1/crash'))).toEqual([]);
    // The dead borg's lock is stale: the next command on this host removes it.
    await borg.unlockStale(repo);
    const outcome = await borg.backup(repo, req, {});
    expect(outcome.stats!.totalFilesProcessed).toBe(24);
    const found = await borg.findSnapshotsByTag(repo, runTag('backup/1/crash'));
    expect(found.map((s) => s.id)).toEqual([outcome.snapshot.id]);
    rmSync(big, { recursive: true, force: true });
  });

  describe('a live lock', () => {
    let holder: ChildProcess;

    beforeAll(async () => {
      holder = spawn('borg', ['with-lock', repo.url, 'sleep', '120'], {
        env: { ...process.env, BORG_PASSPHRASE: PASSWORD, BORG_BASE_DIR: join(work, 'borg-base'), BORG_HOSTNAME_IS_UNIQUE: 'yes' },
        stdio: 'ignore',
        detached: true,
      });
      await waitFor('the lock holder to take the lock', async () => existsSync(join(repo.url, 'lock.exclusive')));
    });

    afterAll(async () => {
      // Its own process group: borg and its sleep.
      if (holder.pid && holder.exitCode === null) {
        const exited = new Promise((r) => holder.once('exit', r));
        process.kill(-holder.pid, 'SIGTERM');
        await exited;
      }
      await waitFor('the lock to be released', async () => !existsSync(join(repo.url, 'lock.exclusive')));
      // The failed backup left no archive (readable only once the lock is gone).
      expect(await borg.findSnapshotsByTag(repo, runTag('backup/1/locked'))).toEqual([]);
    });

    test('makes a backup fail as RepositoryLocked, and unlockStale does not break it', async () => {
      const err = await rejection(borg.backup(repo, filesRequest('backup/1/locked'), {}));
      expect(err.type).toBe(ErrorType.repositoryLocked);
      await borg.unlockStale(repo);
      expect(existsSync(join(repo.url, 'lock.exclusive'))).toBe(true);
      expect(holder.exitCode).toBeNull();
    });
  });
});
