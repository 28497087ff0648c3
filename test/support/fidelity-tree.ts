// A tree with every kind of entry and attribute a backup should keep: what pull mode is
// compared on against push mode (test/integration/pull.test.ts).
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, linkSync, lutimesSync, mkdirSync, openSync, symlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** 64 MiB apparent, a few KiB of data: sparse. */
export const SPARSE_SIZE = 64 * 1024 * 1024;

export function writeFidelityTree(root: string): void {
  mkdirSync(join(root, 'dir', 'empty'), { recursive: true });
  writeFileSync(join(root, 'plain.txt'), 'plain\n');
  writeFileSync(join(root, 'dir', 'owned'), 'owned by 1234:5678\n');
  chownSync(join(root, 'dir', 'owned'), 1234, 5678);
  writeFileSync(join(root, 'setuid'), '#!/bin/sh\n');
  chmodSync(join(root, 'setuid'), 0o4755);
  mkdirSync(join(root, 'sticky'));
  chmodSync(join(root, 'sticky'), 0o1777);
  writeFileSync(join(root, 'private'), 'secret-ish\n', { mode: 0o600 });
  chmodSync(join(root, 'private'), 0o600);
  writeFileSync(join(root, 'name with spaces'), 'spaces\n');
  writeFileSync(join(root, 'line\nbreak'), 'newline\n');
  writeFileSync(join(root, 'tab\there'), 'tab\n');
  writeFileSync(join(root, 'ünïcødé ✓'), 'utf-8\n');
  symlinkSync('plain.txt', join(root, 'link-relative'));
  symlinkSync('/etc/hostname', join(root, 'link-absolute'));
  symlinkSync('../outside/nowhere', join(root, 'link-dangling'));
  writeFileSync(join(root, 'hard-a'), 'hard link\n');
  linkSync(join(root, 'hard-a'), join(root, 'hard-b'));
  const fd = openSync(join(root, 'sparse.img'), 'w');
  writeSync(fd, Buffer.from('start'), 0, 5, 0);
  writeSync(fd, Buffer.from('middle'), 0, 6, 32 * 1024 * 1024);
  writeSync(fd, Buffer.from('end'), 0, 3, SPARSE_SIZE - 3);
  closeSync(fd);
  execFileSync('mkfifo', [join(root, 'fifo')]);
  execFileSync('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], "user.backstop", b"kept?")', join(root, 'plain.txt')]);
  // Sub-second mtimes, set last (creating entries changes their directories' mtimes).
  utimesSync(join(root, 'plain.txt'), 1_700_000_000.25, 1_700_000_000.75);
  utimesSync(join(root, 'dir', 'owned'), 1_600_000_000, 1_600_000_000);
  lutimesSync(join(root, 'link-relative'), 1_650_000_000.5, 1_650_000_000.5);
  utimesSync(join(root, 'dir', 'empty'), 1_500_000_000.125, 1_500_000_000.125);
  utimesSync(join(root, 'dir'), 1_550_000_000, 1_550_000_000);
}
