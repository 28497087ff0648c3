import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, linkSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { paxRecord, rebasedName, specialMember, TarRebase } from './tar-rebase';

async function rebase(tar: Buffer, root: string, chunk = 777): Promise<Buffer> {
  const parts: Buffer[] = [];
  const pieces: Buffer[] = [];
  for (let i = 0; i < tar.length; i += chunk) pieces.push(tar.subarray(i, i + chunk));
  await pipeline(
    Readable.from(pieces),
    new TarRebase(root),
    new Writable({
      write(c: Buffer, _e, done) {
        parts.push(c);
        done();
      },
    }),
  );
  return Buffer.concat(parts);
}

describe('rebasedName', () => {
  it('names the root ./ and what is under it relative to it, and leaves out the rest', () => {
    expect(rebasedName('srv/c1/rootfs', 'srv/c1/rootfs')).toBe('./');
    expect(rebasedName('srv/c1/rootfs/', 'srv/c1/rootfs')).toBe('./');
    expect(rebasedName('srv/c1/rootfs/bin/sh', 'srv/c1/rootfs')).toBe('./bin/sh');
    expect(rebasedName('./srv/c1/rootfs/etc/', 'srv/c1/rootfs')).toBe('./etc/');
    expect(rebasedName('srv/c1/rootfs2/x', 'srv/c1/rootfs')).toBeNull();
    expect(rebasedName('srv/c1', 'srv/c1/rootfs')).toBeNull();
  });
});

describe('specialMember', () => {
  it('writes device nodes and fifos that GNU tar lists and extracts with their numbers, modes and owners', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tar-special-'));
    try {
      const rebase = new TarRebase('/srv/c1/rootfs');
      // /dev/null is 1,3; a device with a minor past 255 checks the split dev_t encoding (major 259, minor 65537).
      const big = (259 << 8) | (65537 & 0xff) | ((65537 & ~0xff) << 12);
      rebase.trailer = [
        specialMember({ path: 'dev/null', type: 'chardev', mode: 0o666, uid: 0, gid: 0, mtime: 1_700_000_000, rdev: (1 << 8) | 3 }),
        specialMember({ path: 'dev/nvme', type: 'blockdev', mode: 0o660, uid: 0, gid: 6, mtime: 1_700_000_000, rdev: big }),
        specialMember({ path: 'run/initctl', type: 'fifo', mode: 0o600, uid: 100000, gid: 100000, mtime: 1_700_000_000, rdev: 0 }),
      ];
      const parts: Buffer[] = [];
      await pipeline(Readable.from([Buffer.alloc(1024)]), rebase, new Writable({ write: (c: Buffer, _e, done) => (parts.push(c), done()) }));
      writeFileSync(join(dir, 'out.tar'), Buffer.concat(parts));
      const listing = execFileSync('tar', ['-tvf', join(dir, 'out.tar'), '--numeric-owner']).toString();
      expect(listing).toMatch(/^crw-rw-rw- 0\/0 +1,3 .* \.\/dev\/null$/m);
      expect(listing).toMatch(/^brw-rw---- 0\/6 +259,65537 .* \.\/dev\/nvme$/m);
      expect(listing).toMatch(/^prw------- 100000\/100000 .* \.\/run\/initctl$/m);
      expect(rebase.members).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('paxRecord', () => {
  it('counts its own length digits', () => {
    expect(paxRecord('path', 'a').toString()).toBe('9 path=a\n');
    // 1 + 1 + 4 + 1 + 91 + 1 = 99 bytes without the length; with its two digits 101, so three digits: 102.
    const r = paxRecord('path', 'x'.repeat(92));
    expect(r.length).toBe(Number(r.toString().split(' ')[0]));
  });
});

describe('TarRebase on what GNU tar writes', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tar-rebase-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const build = (format: string) => {
    const root = join(dir, 'src', 'c1', 'rootfs');
    mkdirSync(join(root, 'etc', 'deep'.repeat(30)), { recursive: true });
    writeFileSync(join(root, 'etc', 'hostname'), 'c1\n');
    writeFileSync(join(root, 'etc', 'deep'.repeat(30), 'long-name-'.repeat(12)), 'long\n');
    chmodSync(join(root, 'etc', 'hostname'), 0o640);
    symlinkSync('../etc/hostname', join(root, 'etc', 'link'));
    linkSync(join(root, 'etc', 'hostname'), join(root, 'etc', 'hard'));
    return execFileSync('tar', ['-c', `--format=${format}`, '-C', '/', root.slice(1)], { maxBuffer: 64 << 20, stdio: 'pipe' });
  };

  for (const format of ['pax', 'gnu', 'ustar']) {
    it(`${format}: members relative to the root filesystem, data and links intact, no owner names`, async () => {
      const root = join(dir, 'src', 'c1', 'rootfs').slice(1);
      let tar: Buffer;
      try {
        tar = build(format);
      } catch (e) {
        // ustar cannot hold the 300-character name; the others can.
        expect(format).toBe('ustar');
        expect(String(e)).toMatch(/name is too long|too long/i);
        return;
      }
      const out = await rebase(tar, `/${root}`);
      writeFileSync(join(dir, 'out.tar'), out);
      const listing = execFileSync('tar', ['-tvf', join(dir, 'out.tar'), '--numeric-owner']).toString();
      const names = execFileSync('tar', ['-tf', join(dir, 'out.tar')]).toString().trim().split('\n');
      expect(names[0]).toBe('./');
      expect(names).toEqual(expect.arrayContaining(['./etc/', './etc/hostname', './etc/link', './etc/hard', `./etc/${'deep'.repeat(30)}/${'long-name-'.repeat(12)}`]));
      expect(listing).toMatch(/-rw-r-----/);
      expect(listing).toMatch(/\.\/etc\/link -> \.\.\/etc\/hostname/);
      expect(listing).toMatch(/\.\/etc\/(hard link to \.\/etc\/hostname|hostname link to \.\/etc\/hard)/);
      const x = join(dir, 'x');
      mkdirSync(x);
      execFileSync('tar', ['-xpf', join(dir, 'out.tar'), '--numeric-owner', '-C', x]);
      expect(readFileSync(join(x, 'etc', 'hostname'), 'utf8')).toBe('c1\n');
      expect(readFileSync(join(x, 'etc', 'deep'.repeat(30), 'long-name-'.repeat(12)), 'utf8')).toBe('long\n');
      // No user or group names left for an extractor to map on the host.
      expect(out.includes(Buffer.from('uname='))).toBe(false);
    });
  }

  it('fails a stream cut short instead of writing a tar that looks whole', async () => {
    const root = join(dir, 'src', 'c1', 'rootfs');
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'f'), 'x'.repeat(5000));
    const tar = execFileSync('tar', ['-c', '--format=pax', '-C', '/', root.slice(1)]);
    await expect(rebase(tar.subarray(0, 2048), root)).rejects.toThrow(/ended inside a member|before its end-of-archive/);
  });

  it('refuses / as the root', () => {
    expect(() => new TarRebase('/')).toThrow(/cannot be \/ itself/);
  });
});
