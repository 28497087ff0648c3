// The PBS engine end to end against a real Proxmox Backup Server: verify access, back up a
// temporary directory, list, browse, restore and preview a prune, then forget what it made.
// Needs proxmox-backup-client on PATH and a server named by
//   BACKSTOP_TEST_PBS_REPOSITORY   user@realm!token@host[:port]:datastore
//   BACKSTOP_TEST_PBS_PASSWORD     the password or API-token secret
//   BACKSTOP_TEST_PBS_FINGERPRINT  the server certificate's SHA-256 fingerprint
//   BACKSTOP_TEST_PBS_NAMESPACE    (optional) a namespace that exists in the datastore
// Without them (as on the machines this project is developed on) the file is skipped with
// that reason; the engine's command lines and parsers are unit-tested in
// activities/shared/engines/pbs/ on output in the client's documented formats.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { RepositoryAccess } from '../../contract/engine';
import { ProxmoxBackupClient } from '../../activities/shared/engines/pbs/pbs';

jest.setTimeout(300_000);

const CLIENT = 'proxmox-backup-client';

function onPath(binary: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, binary)));
}

function unavailable(): string | null {
  if (!onPath(CLIENT)) return `${CLIENT} is not on PATH`;
  const missing = ['BACKSTOP_TEST_PBS_REPOSITORY', 'BACKSTOP_TEST_PBS_PASSWORD', 'BACKSTOP_TEST_PBS_FINGERPRINT'].filter((n) => !process.env[n]);
  if (missing.length > 0) return `${missing.join(', ')} not set (a PBS server to test against)`;
  return null;
}

const why = unavailable();
if (why) console.warn(`PBS integration tests skipped: ${why}`);
const describePbs = why ? describe.skip : describe;

describePbs('proxmox-backup-client engine against a real PBS', () => {
  const repo: RepositoryAccess = {
    engine: 'pbs',
    url: process.env.BACKSTOP_TEST_PBS_REPOSITORY ?? '',
    password: process.env.BACKSTOP_TEST_PBS_PASSWORD ?? '',
    pbs: { fingerprint: process.env.BACKSTOP_TEST_PBS_FINGERPRINT ?? '', namespace: process.env.BACKSTOP_TEST_PBS_NAMESPACE || undefined },
  };
  const engine = new ProxmoxBackupClient();
  // A backup id of its own: the test's group holds only its snapshot, so prune may preview it.
  const host = `backstop-it-${randomBytes(4).toString('hex')}`;
  const runTag = `backstop-run=backup/it/${host}`;
  const jobTag = `backstop-job=it-${host}`;
  let work: string;
  let source: string;
  let snapshotId: string | null = null;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'backstop-pbs-it-'));
    source = join(work, 'source');
    mkdirSync(join(source, 'sub'), { recursive: true });
    writeFileSync(join(source, 'hello.txt'), 'hello from backstop\n');
    writeFileSync(join(source, 'sub', 'data.bin'), randomBytes(64 * 1024));
  });

  afterAll(async () => {
    if (snapshotId) await engine.forgetSnapshots(repo, [snapshotId]).catch((e: Error) => console.warn(`could not forget test snapshot: ${e.message}`));
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('verifies access (init is the same check)', async () => {
    await engine.verifyAccess(repo);
    await engine.init(repo);
  });

  it('backs up a directory and finds the snapshot by its run tag', async () => {
    const out = await engine.backup(repo, { paths: [source], excludes: [], tags: [runTag, jobTag], host }, {});
    snapshotId = out.snapshot.id;
    expect(out.snapshot).toMatchObject({ hostname: host, paths: [source], tags: [runTag, jobTag] });
    expect(out.snapshot.id).toMatch(/^[0-9a-f]{64}$/);
    expect((await engine.listSnapshots(repo)).map((s) => s.id)).toContain(out.snapshot.id);
    expect((await engine.findSnapshotsByTag(repo, runTag)).map((s) => s.id)).toEqual([out.snapshot.id]);
  });

  it('lists a directory of the snapshot', async () => {
    const listing = await engine.listDirectory(repo, snapshotId!, source);
    expect(listing?.children.map((c) => [c.name, c.type])).toEqual([['hello.txt', 'file'], ['sub', 'dir']]);
    expect(listing?.children[0]!.size).toBe('hello from backstop\n'.length);
  });

  it('restores the snapshot at <target><path>', async () => {
    const target = join(work, 'restore');
    await engine.restore(repo, snapshotId!, target, {});
    expect(readFileSync(join(target, source, 'hello.txt'), 'utf8')).toBe('hello from backstop\n');
    expect(readFileSync(join(target, source, 'sub', 'data.bin'))).toEqual(readFileSync(join(source, 'sub', 'data.bin')));
  });

  it('previews a prune of the job\'s group without removing anything', async () => {
    const groups = await engine.forget(repo, { tags: [jobTag], policy: { keepLast: 1 }, dryRun: true });
    expect(groups).toHaveLength(1);
    expect(groups[0]!.keep.map((k) => k.snapshot.id)).toEqual([snapshotId]);
    expect(groups[0]!.remove).toEqual([]);
    expect((await engine.listSnapshots(repo)).map((s) => s.id)).toContain(snapshotId);
  });
});
