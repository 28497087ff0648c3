// Borg over SSH against a real sshd on loopback, with the SSH pieces the borg engine uses
// (prepareSsh → BORG_RSH). The server key runs only `borg serve --append-only
// --restrict-to-path <repos>`: init, create, list and extract work through it; a delete or
// prune "succeeds" for the client but the server keeps every segment and logs each
// transaction, so its admin can roll the repository back; a path outside the restriction is
// refused; a host key that does not match known_hosts stops ssh before `borg serve` runs.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseSshUrl, prepareSsh, type PreparedSsh } from '../../activities/shared/engines/borg/ssh';
import { shellQuote } from '../../activities/shared/plugins/shell-quote';
import { startSshd, type Sshd } from '../support/sshd';

jest.setTimeout(300_000);

const PASSPHRASE = 'borg ssh pass';

let work: string;
let repos: string;
let repoDir: string;
let src: string;
let sshd: Sshd;
let ssh: PreparedSsh;
let url: string;
/** The last transaction before the delete and prune (the rollback's target). */
let beforeRemovalTransaction: number;

interface BorgResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs borg with this test's environment only (nothing of the caller's ~/.config/borg or ~/.ssh). */
function borg(args: string[], opts: { cwd?: string; env?: Record<string, string>; baseDir?: string } = {}): Promise<BorgResult> {
  return new Promise((resolve, reject) => {
    const p = spawn('borg', args, {
      cwd: opts.cwd ?? work,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        LANG: 'C.UTF-8',
        TZ: 'UTC',
        BORG_PASSPHRASE: PASSPHRASE,
        BORG_BASE_DIR: opts.baseDir ?? join(work, 'client-base'),
        ...(opts.env ?? ssh.env),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.once('error', reject);
    p.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function ok(args: string[], opts?: Parameters<typeof borg>[1]): Promise<string> {
  const r = await borg(args, opts);
  if (r.code !== 0) throw new Error(`borg ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

const archives = async (): Promise<string[]> => (JSON.parse(await ok(['list', '--json', url])) as { archives: Array<{ name: string }> }).archives.map((a) => a.name);
const transactions = (): number[] =>
  readFileSync(join(repoDir, 'transactions'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => Number(/^transaction (\d+),/.exec(l)![1]));
const segments = (): number[] =>
  readdirSync(join(repoDir, 'data')).flatMap((d) =>
    readdirSync(join(repoDir, 'data', d))
      .filter((f) => /^\d+$/.test(f))
      .map(Number),
  );

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-borg-ssh-'));
  repos = join(work, 'repos');
  repoDir = join(repos, 'main');
  const serverBase = join(work, 'server-base');
  mkdirSync(repos);
  mkdirSync(serverBase);
  src = join(work, 'src');
  mkdirSync(join(src, 'sub'), { recursive: true });
  writeFileSync(join(src, 'a.txt'), 'hello over ssh\n');
  writeFileSync(join(src, 'sub', 'random.bin'), randomBytes(300_000));
  // The server's borg keeps its own state in the test directory too.
  sshd = await startSshd({ forcedCommand: `BORG_BASE_DIR=${shellQuote(serverBase)} borg serve --append-only --restrict-to-path ${shellQuote(repos)}` });
  // A parent directory with a blank and quotes: BORG_RSH must survive borg's shlex and ssh's own parsing.
  const parent = join(work, `engine work "it's"`);
  mkdirSync(parent);
  ssh = await prepareSsh({ privateKey: sshd.privateKey, knownHosts: sshd.knownHosts }, parent);
  url = sshd.url(repoDir);
});

afterAll(async () => {
  await ssh?.dispose();
  await sshd?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('borg over ssh:// through borg serve --append-only', () => {
  it('the fixture URL is what parseSshUrl accepts', () => {
    expect(parseSshUrl(url)).toEqual({ user: 'root', host: '127.0.0.1', port: sshd.port, path: repoDir, base: 'root' });
  });

  it('init, create, list --json and extract restore the same bytes', async () => {
    await ok(['init', '-e', 'repokey-blake2', url]);
    expect(readdirSync(repoDir)).toEqual(expect.arrayContaining(['config', 'data']));
    await ok(['create', `${url}::first`, '.'], { cwd: src });
    expect(await archives()).toEqual(['first']);

    const restore = join(work, 'restore');
    mkdirSync(restore);
    await ok(['extract', `${url}::first`], { cwd: restore });
    expect(readFileSync(join(restore, 'a.txt'))).toEqual(readFileSync(join(src, 'a.txt')));
    expect(readFileSync(join(restore, 'sub', 'random.bin'))).toEqual(readFileSync(join(src, 'sub', 'random.bin')));
  });

  it('delete and prune "succeed" for the client, but the server keeps every segment and logs each transaction', async () => {
    // Only an append-only server writes the transactions log (one line per commit).
    expect(transactions().length).toBeGreaterThanOrEqual(1);
    await ok(['create', `${url}::second`, '.'], { cwd: src });
    await ok(['create', `${url}::third`, '.'], { cwd: src });
    const beforeRemoval = transactions();
    beforeRemovalTransaction = beforeRemoval.at(-1)!;
    const segmentsBefore = segments();

    await ok(['delete', `${url}::first`]);
    await ok(['prune', '--keep-last', '1', url]);
    // compact would free the space on a normal server; append-only, it frees nothing.
    await ok(['compact', url]);
    expect(await archives()).toEqual(['third']);

    expect(transactions().length).toBeGreaterThan(beforeRemoval.length);
    expect(transactions().slice(0, beforeRemoval.length)).toEqual(beforeRemoval);
    expect(segments()).toEqual(expect.arrayContaining(segmentsBefore));
  });

  it("the server's admin rolls the repository back to before the delete, and the archive is there again", async () => {
    // Roll back to the transaction after `third` was created: keep the segments up to it (a
    // transaction's number is its commit segment's), drop the newer ones and the index files
    // (borg rebuilds the index from the segments). Done locally, as the admin would.
    const keep = beforeRemovalTransaction;
    expect(Math.max(...segments())).toBeGreaterThan(keep);
    for (const d of readdirSync(join(repoDir, 'data'))) {
      for (const f of readdirSync(join(repoDir, 'data', d))) if (/^\d+$/.test(f) && Number(f) > keep) unlinkSync(join(repoDir, 'data', d, f));
    }
    for (const f of readdirSync(repoDir)) if (/^(index|hints|integrity)\.\d+$/.test(f)) unlinkSync(join(repoDir, f));

    const admin = { env: {}, baseDir: join(work, 'admin-base') };
    const listed = JSON.parse(await ok(['list', '--json', repoDir], admin)) as { archives: Array<{ name: string }> };
    expect(listed.archives.map((a) => a.name)).toEqual(['first', 'second', 'third']);
    const restore = join(work, 'restore-rolled-back');
    mkdirSync(restore);
    await ok(['extract', `${repoDir}::first`], { ...admin, cwd: restore });
    expect(readFileSync(join(restore, 'sub', 'random.bin'))).toEqual(readFileSync(join(src, 'sub', 'random.bin')));
  });

  it('refuses a repository outside --restrict-to-path, saying so', async () => {
    const r = await borg(['init', '-e', 'repokey-blake2', sshd.url(join(work, 'outside'))]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`Repository path not allowed: ${join(work, 'outside')}`);
    expect(readdirSync(work)).not.toContain('outside');
  });

  // What borg prints when ssh gives up is racy: borg stops at its end of ssh's stdout and may
  // not have read ssh's stderr yet (remote.py reads stdout first), so ssh's own words reach
  // borg's stderr only sometimes. Borg's own "Connection closed by remote host" always does;
  // ssh's reason is asserted from the same BORG_RSH command line run directly.
  async function hostKeyFailure(knownHosts: string): Promise<{ borg: BorgResult; ssh: string }> {
    const access = await prepareSsh({ privateKey: sshd.privateKey, knownHosts }, work);
    try {
      const b = await borg(['list', url], { env: access.env });
      expect(b.code).toBe(2);
      expect(b.stderr).toContain('Connection closed by remote host');
      // BORG_RSH is quoted for shlex, which sh reads the same way.
      const direct = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const p = spawn('sh', ['-c', `${access.env.BORG_RSH} -p ${sshd.port} root@127.0.0.1 true`], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        p.once('close', (code) => resolve({ code, stderr }));
      });
      expect(direct.code).toBe(255);
      // Whatever of ssh's message borg did forward is the same message.
      for (const line of b.stderr.split('\n').filter((l) => l.startsWith('Remote: '))) expect(direct.stderr).toContain(line.slice('Remote: '.length));
      return { borg: b, ssh: direct.stderr };
    } finally {
      await access.dispose();
    }
  }

  it('fails on a host key that is not the one in known_hosts (StrictHostKeyChecking)', async () => {
    const other = join(work, 'other-host-key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const { ssh: text } = await hostKeyFailure(`[127.0.0.1]:${sshd.port} ${readFileSync(`${other}.pub`, 'utf8')}`);
    expect(text).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
    expect(text).toContain('Host key verification failed.');
  });

  it('fails on a host that known_hosts does not list at all, instead of trusting it', async () => {
    const { ssh: text } = await hostKeyFailure('[127.0.0.1]:1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEqQ3m1kQ0tyvJp4Bd2aGq6Zl6v0r0oWwJb1oJmR6HkR\n');
    expect(text).toMatch(new RegExp(`No ED25519 host key is known for \\[127\\.0\\.0\\.1\\]:${sshd.port} and you have requested strict checking`));
    expect(text).toContain('Host key verification failed.');
  });
});
