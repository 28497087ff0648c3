import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectCapabilities, findOnPath, parseResticVersion } from './capabilities';

describe('capabilities', () => {
  it('parses restic version output', () => {
    expect(parseResticVersion('restic 0.18.1 compiled with go1.24.1 on linux/amd64\n')).toBe('0.18.1');
    expect(parseResticVersion('something else')).toBeNull();
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
    const caps = await detectCapabilities(join(bin, 'restic'), bin);
    expect(caps).toEqual({ engines: [{ name: 'restic', version: '0.18.1' }], snapshotProviders: ['btrfs', 'zfs'], plugins: ['pg_dump'] });
  });

  it('reports no engine when restic is missing', async () => {
    expect((await detectCapabilities('/nonexistent/restic', '')).engines).toEqual([]);
  });
});
