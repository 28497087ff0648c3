// The provider's decisions (which volume, which warning, which binds, what is released),
// with in-memory snapshotters: unit level. The real btrfs run is in test/integration.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../core/logger';
import type { MountInfo } from '../../shared/snapshot-commands';
import { FilesystemSnapshotProvider } from './filesystem';
import { SnapshotRegistry } from './registry';
import type { VolumeSnapshotter } from './volume';
import type { FrozenVolume, Volume } from '../../../contract/snapshot';

class FakeSnapshotter implements VolumeSnapshotter {
  readonly frozen = new Set<string>();
  failOn: string | null = null;
  constructor(
    readonly kind: 'btrfs' | 'lvm',
    private readonly roots: string[],
  ) {}
  async locate(path: string, mount: MountInfo): Promise<Volume | null> {
    const root = this.roots.find((r) => path === r || path.startsWith(`${r}/`));
    return root ? { kind: this.kind, id: root, root, fstype: mount.fstype } : null;
  }
  describe(volume: Volume, name: string): FrozenVolume {
    return { ...volume, name, readRoot: `/frozen/${this.kind}${volume.root}/${name}` };
  }
  async freeze(volume: Volume, name: string): Promise<FrozenVolume> {
    if (this.failOn === volume.id) throw new Error('no space left');
    this.frozen.add(`${volume.id}@${name}`);
    return this.describe(volume, name);
  }
  async release(f: FrozenVolume): Promise<void> {
    this.frozen.delete(`${f.id}@${f.name}`);
  }
}

const RUN = '11111111-2222-3333-4444-555555555555';
let dir: string;
let btrfs: FakeSnapshotter;
let lvm: FakeSnapshotter;
let registry: SnapshotRegistry;
let provider: FilesystemSnapshotProvider;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fs-snap-'));
  btrfs = new FakeSnapshotter('btrfs', [join(dir, 'home')]);
  lvm = new FakeSnapshotter('lvm', [join(dir, 'srv')]);
  registry = new SnapshotRegistry(join(dir, 'registry'));
  provider = new FilesystemSnapshotProvider({
    snapshotters: [btrfs, lvm],
    registry,
    findMount: async (p) => ({ target: p, fstype: p.includes('/home') ? 'btrfs' : 'ext4', source: '/dev/x' }),
    logger: createLogger('test', 'silent'),
  });
  for (const d of ['home/alice', 'home/bob', 'srv/db', 'var/log']) mkdirSync(join(dir, d), { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const req = (mode: 'auto' | 'btrfs' | 'lvm', paths: string[]) => ({ runId: RUN, workflowId: 'backup/1/t', mode, paths: paths.map((p) => join(dir, p)) });

describe('FilesystemSnapshotProvider', () => {
  it('auto: one snapshot per volume, binds per path, the rest read live with a warning', async () => {
    const h = await provider.create(req('auto', ['home/alice', 'home/bob', 'srv/db', 'var/log']));
    expect(h.readPaths).toEqual(req('auto', ['home/alice', 'home/bob', 'srv/db', 'var/log']).paths);
    expect(h.volumes!.map((v) => `${v.kind}:${v.id}`)).toEqual([`btrfs:${join(dir, 'home')}`, `lvm:${join(dir, 'srv')}`]);
    expect(h.binds).toEqual([
      { snapshot: `/frozen/btrfs${join(dir, 'home')}/backstop-${RUN}/alice`, original: join(dir, 'home/alice') },
      { snapshot: `/frozen/btrfs${join(dir, 'home')}/backstop-${RUN}/bob`, original: join(dir, 'home/bob') },
      { snapshot: `/frozen/lvm${join(dir, 'srv')}/backstop-${RUN}/db`, original: join(dir, 'srv/db') },
    ]);
    expect(h.excludes).toEqual([join(dir, 'home', '.backstop-snapshots')]);
    expect(h.warnings).toHaveLength(1);
    expect(h.warnings[0]).toContain(`${join(dir, 'var/log')} is on ext4`);
    expect((await registry.list()).map((r) => r.runId)).toEqual([RUN]);

    await provider.release(h);
    await provider.release(h);
    expect([...btrfs.frozen, ...lvm.frozen]).toEqual([]);
    expect(await registry.list()).toEqual([]);
  });

  it('an explicit mode refuses a path on another filesystem, making nothing', async () => {
    await expect(provider.create(req('btrfs', ['home/alice', 'var/log']))).rejects.toMatchObject({ type: 'InputError' });
    expect(btrfs.frozen.size).toBe(0);
    expect(await registry.list()).toEqual([]);
  });

  it('a failed snapshot releases the ones already made', async () => {
    lvm.failOn = join(dir, 'srv');
    await expect(provider.create(req('auto', ['home/alice', 'srv/db']))).rejects.toThrow('no space left');
    expect(btrfs.frozen.size).toBe(0);
  });

  it('refuses a missing source path', async () => {
    await expect(provider.create(req('auto', ['nope']))).rejects.toMatchObject({ type: 'SourceMissingError' });
  });

  it('at start, releases the snapshots of ended runs and keeps those of running ones', async () => {
    await provider.create(req('auto', ['home/alice']));
    await provider.create({ ...req('auto', ['srv/db']), runId: '99999999-2222-3333-4444-555555555555', workflowId: 'backup/2/t' });
    const released = await provider.releaseOrphans(async (wf) => wf === 'backup/2/t');
    expect(released).toBe(1);
    expect(btrfs.frozen.size).toBe(0);
    expect(lvm.frozen.size).toBe(1);
    expect((await registry.list()).map((r) => r.workflowId)).toEqual(['backup/2/t']);
  });
});
