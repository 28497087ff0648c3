// ProxmoxBackupClient against a stand-in client: a script that records how it was started
// (argv, environment, the key file while it exists) and answers with the fixtures. No PBS
// server is needed; test/integration/pbs.test.ts runs the real one when configured.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RepositoryAccess } from '../../../../contract/engine';
import { ProxmoxBackupClient } from './pbs';
import { snapshotIdOf } from './snapshots';

const FP = Array.from({ length: 32 }, () => 'cd').join(':');
const KEY = '{"kdf":null,"created":"2025-01-01T00:00:00Z","data":"c2VjcmV0LWtleS1ieXRlcw=="}';
const fixtures = join(__dirname, '__fixtures__');

interface Call {
  argv: string[];
  env: Record<string, string | undefined>;
  key: { mode: number; dirMode: number; content: string } | null;
}

let dir: string;
let fake: string;
let log: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pbs-fake-'));
  fake = join(dir, 'proxmox-backup-client');
  log = join(dir, 'calls.jsonl');
  writeFileSync(
    fake,
    `#!/usr/bin/env node
const fs = require('fs'), path = require('path');
const argv = process.argv.slice(2);
const k = argv.indexOf('--keyfile');
let key = null;
if (k >= 0) { const f = argv[k + 1]; key = { mode: fs.statSync(f).mode & 0o777, dirMode: fs.statSync(path.dirname(f)).mode & 0o777, content: fs.readFileSync(f, 'utf8') }; }
const env = {}; for (const n of ['PBS_REPOSITORY','PBS_PASSWORD','PBS_FINGERPRINT','PBS_ENCRYPTION_PASSWORD','TZ']) env[n] = process.env[n];
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ argv, env, key }) + '\\n');
const fx = (n) => fs.readFileSync(path.join(${JSON.stringify(fixtures)}, n), 'utf8');
if (fs.existsSync(${JSON.stringify(join(dir, 'fail-auth'))})) { process.stderr.write('Error: authentication failed - invalid credentials for ' + process.env.PBS_PASSWORD + '\\n'); process.exit(255); }
const cmd = argv.slice(0, 2).join(' ');
if (cmd === 'snapshot list') process.stdout.write(fx('snapshot-list.json'));
else if (argv[0] === 'backup') { const rec = argv.find((a) => a.startsWith('backstop.conf:')); fs.copyFileSync(rec.slice('backstop.conf:'.length), ${JSON.stringify(join(dir, 'record.json'))}); process.stderr.write(fx('backup-output.txt')); }
else if (argv[0] === 'restore' && argv[2] === 'backstop.conf') process.stdout.write(JSON.stringify({ tags: ['backstop-run=backup/7/crashed', 'backstop-job=7'], archives: { 'root.pxar': '/srv/www' } }) + '\\n');
else if (cmd === 'catalog dump') process.stdout.write(fx('catalog-dump.txt'));
else if (argv[0] === 'prune') process.stdout.write(fx('prune.json'));
`,
  );
  chmodSync(fake, 0o755);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeEach(() => {
  writeFileSync(log, '');
  rmSync(join(dir, 'fail-auth'), { force: true });
});

const calls = (): Call[] => readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Call);

const repo = (pbs: Partial<NonNullable<RepositoryAccess['pbs']>> = {}): RepositoryAccess => ({
  engine: 'pbs',
  url: 'backup@pbs!backstop@pbs.example.com:store1',
  password: 'the-token-secret',
  pbs: { fingerprint: FP, ...pbs },
});

describe('ProxmoxBackupClient (stand-in client)', () => {
  it('backs up, then writes the run\'s tags as the snapshot\'s notes', async () => {
    const engine = new ProxmoxBackupClient({ binary: fake });
    const progress: unknown[] = [];
    const out = await engine.backup(repo({ encryptionKey: KEY, encryptionPassword: 'key-pw' }), { paths: ['/srv/www'], excludes: [], tags: ['backstop-run=backup/7/x', 'backstop-job=7'], host: 'web1' }, { onProgress: (p) => progress.push(p) });
    expect(out.snapshot).toEqual({
      id: snapshotIdOf('host/web1/2025-12-03T00:40:33Z', null),
      time: '2025-12-03T00:40:33Z',
      hostname: 'web1',
      paths: ['/srv/www'],
      tags: ['backstop-run=backup/7/x', 'backstop-job=7'],
    });
    expect(out.stats?.durationSeconds).toBe(62.4);
    expect(progress.length).toBeGreaterThan(0);
    const [backup, notes] = calls();
    expect(backup!.argv.slice(0, 3)).toEqual(['backup', 'root.pxar:/srv/www', expect.stringMatching(/^backstop\.conf:/)]);
    // The key exists only as a private file while the client runs, and only there.
    expect(backup!.key).toEqual({ mode: 0o600, dirMode: 0o700, content: KEY });
    expect(backup!.env).toEqual({ PBS_REPOSITORY: 'backup@pbs!backstop@pbs.example.com:store1', PBS_PASSWORD: 'the-token-secret', PBS_FINGERPRINT: FP, PBS_ENCRYPTION_PASSWORD: 'key-pw', TZ: 'UTC' });
    for (const c of calls()) for (const secret of ['the-token-secret', 'key-pw', 'c2VjcmV0']) expect(c.argv.join(' ')).not.toContain(secret);
    const keyfile = backup!.argv[backup!.argv.indexOf('--keyfile') + 1]!;
    expect(() => readFileSync(keyfile)).toThrow();
    expect(JSON.parse(readFileSync(join(dir, 'record.json'), 'utf8'))).toEqual({ tags: ['backstop-run=backup/7/x', 'backstop-job=7'], archives: { 'root.pxar': '/srv/www' } });
    expect(notes!.argv.slice(0, 4)).toEqual(['snapshot', 'notes', 'update', 'host/web1/2025-12-03T00:40:33Z']);
    expect(notes!.argv[4]).toMatch(/^backstop:\{"tags":\["backstop-run=backup\/7\/x","backstop-job=7"\]/);
  });

  it('finds a run\'s snapshot by its notes, and one left without notes by its record blob (repairing the note)', async () => {
    const engine = new ProxmoxBackupClient({ binary: fake });
    const byNote = await engine.findSnapshotsByTag(repo(), 'backstop-run=backup/7/scheduled-2025-12-03T00:40:00Z');
    expect(byNote.map((s) => s.time)).toEqual(['2025-12-03T00:40:33Z']);
    writeFileSync(log, '');
    const byBlob = await engine.findSnapshotsByTag(repo(), 'backstop-run=backup/7/crashed');
    expect(byBlob).toEqual([expect.objectContaining({ time: '2025-12-02T00:40:33Z', paths: ['/srv/www'], hostname: 'web1' })]);
    expect(calls().map((c) => c.argv.slice(0, 3).join(' '))).toEqual(['snapshot list --output-format', 'restore host/web1/2025-12-02T00:40:33Z backstop.conf', 'snapshot notes update']);
  });

  it('lists a directory from the catalog and restores each archive at <target><path>', async () => {
    const engine = new ProxmoxBackupClient({ binary: fake });
    const id = snapshotIdOf('host/web1/2025-12-03T00:40:33Z', null);
    const listing = await engine.listDirectory(repo(), id, '/srv/www/etc');
    expect(listing?.children.map((c) => c.name)).toEqual(['cifs-utils', 'hostname', 'localtime']);
    writeFileSync(log, '');
    const target = join(dir, 'restore');
    const summary = await engine.restore(repo(), id, target, {}, { include: ['/srv/www/etc'] });
    expect(calls()[1]!.argv).toEqual(['restore', 'host/web1/2025-12-03T00:40:33Z', 'root.pxar', `${target}/srv/www`, '--allow-existing-dirs', '--overwrite', '--pattern', '/etc']);
    expect(summary).toMatchObject({ filesRestored: 1, bytesRestored: 5, verified: false });
    await expect(engine.restore(repo(), id, target, {}, { overwrite: 'if-newer' })).rejects.toThrow(/cannot restore with overwrite "if-newer"/);
    await expect(engine.restore(repo(), 'f'.repeat(64), target, {})).rejects.toMatchObject({ type: 'NotFoundError' });
  });

  it('prunes only groups that hold nothing but the job\'s snapshots', async () => {
    const engine = new ProxmoxBackupClient({ binary: fake });
    // web1's group also holds a snapshot whose note is missing: PBS would prune it as well.
    await expect(engine.forget(repo(), { tags: ['backstop-job=7'], policy: { keepLast: 1 }, dryRun: true })).rejects.toThrow(/also holds 1 snapshot/);
    await expect(engine.forget(repo(), { tags: [], policy: { keepLast: 1, keepWithin: '7d' }, dryRun: true })).rejects.toThrow(/keepWithin/);
  });

  it('forgets snapshots by id, and refuses unknown ids before forgetting any', async () => {
    const engine = new ProxmoxBackupClient({ binary: fake });
    const id = snapshotIdOf('host/db1/2025-12-01T00:40:33Z', null);
    await engine.forgetSnapshots(repo(), [id]);
    expect(calls()[1]!.argv).toEqual(['snapshot', 'forget', 'host/db1/2025-12-01T00:40:33Z']);
    writeFileSync(log, '');
    await expect(engine.forgetSnapshots(repo(), [id, 'a'.repeat(64)])).rejects.toMatchObject({ type: 'NotFoundError' });
    expect(calls()).toHaveLength(1);
  });

  it('refuses what PBS leaves to the server or cannot do', async () => {
    const engine = new ProxmoxBackupClient({ binary: fake });
    await expect(engine.check()).rejects.toThrow(/verification job/);
    await expect(engine.prune()).rejects.toThrow(/garbage collection runs on the PBS server/);
    await expect(engine.dumpFile()).rejects.toThrow(/cannot stream a single file/);
    await expect(engine.dumpArchive()).rejects.toThrow(/tar/);
    await expect(engine.backup(repo(), { paths: ['/x'], excludes: [], tags: [], host: 'h', stdin: { filename: '/x', command: ['true'] } }, {})).rejects.toMatchObject({ type: 'InputError' });
    expect(calls()).toHaveLength(0);
  });

  it('init verifies access; failures are typed and never quote the secret', async () => {
    const engine = new ProxmoxBackupClient({ binary: fake });
    await engine.init(repo());
    expect(calls().map((c) => c.argv[0])).toEqual(['snapshot']);
    // The client's environment is its own (runProcess passes only PATH, HOME and PBS_*): a file switches the stand-in.
    writeFileSync(join(dir, 'fail-auth'), '');
    const err = await engine.verifyAccess(repo()).catch((e: Error) => e);
    expect(err).toMatchObject({ type: 'RepositoryAuthError' });
    expect((err as Error).message).toContain('[redacted]');
    expect((err as Error).message).not.toContain('the-token-secret');
  });

  it('says so when the client is not installed', async () => {
    const engine = new ProxmoxBackupClient({ binary: join(dir, 'no-such-client') });
    await expect(engine.listSnapshots(repo())).rejects.toMatchObject({ type: 'InputError', message: expect.stringMatching(/proxmox-backup-client not found/) });
  });
});
