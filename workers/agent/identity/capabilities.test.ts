import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectCapabilities, findOnPath, parseBorgVersion, parsePbsClientVersion, parseResticVersion } from './capabilities';

describe('capabilities', () => {
  it('parses restic version output', () => {
    expect(parseResticVersion('restic 0.18.1 compiled with go1.24.1 on linux/amd64\n')).toBe('0.18.1');
    expect(parseResticVersion('something else')).toBeNull();
  });

  it('parses borg and proxmox-backup-client version output', () => {
    expect(parseBorgVersion('borg 1.2.4\n')).toBe('1.2.4');
    expect(parsePbsClientVersion('client version: 3.2.7\n')).toBe('3.2.7');
    expect(parseBorgVersion('')).toBeNull();
  });

  it('finds executables on PATH and reports the snapshot tools and plugins present', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'backstop-caps-'));
    for (const tool of ['btrfs', 'zfs', 'pg_dump']) {
      writeFileSync(join(bin, tool), '#!/bin/sh\n');
      chmodSync(join(bin, tool), 0o755);
    }
    writeFileSync(join(bin, 'restic'), '#!/bin/sh\necho "restic 0.18.1 compiled with go1.24.1 on linux/amd64"\n');
    chmodSync(join(bin, 'restic'), 0o755);
    expect(findOnPath('btrfs', bin)).toBe(join(bin, 'btrfs'));
    expect(findOnPath('lvcreate', bin)).toBeNull();
    writeFileSync(join(bin, 'borg'), '#!/bin/sh\necho "borg 1.2.4"\n');
    chmodSync(join(bin, 'borg'), 0o755);
    const caps = await detectCapabilities(join(bin, 'restic'), bin, { borg: join(bin, 'borg'), pbs: join(bin, 'proxmox-backup-client') });
    expect(caps).toEqual({ engines: [{ name: 'restic', version: '0.18.1' }, { name: 'borg', version: '1.2.4' }], snapshotProviders: ['btrfs', 'zfs'], plugins: ['pg_dump'] });
  });

  it('reports no engine when restic is missing', async () => {
    expect((await detectCapabilities('/nonexistent/restic', '', { borg: '/nonexistent/borg', pbs: '/nonexistent/pbs' })).engines).toEqual([]);
  });
});
