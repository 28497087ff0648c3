import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { RunControl } from '../../../contract/engine';
import type { GuestManifest } from './guest-manifest';
import { restoreDiskImage, segmentIndexOf } from './guest-restore';
import { segmentPath } from './segments';

describe('segmentIndexOf', () => {
  it("names a segment of the disk by the dump's member path, with or without a leading ./ or /", () => {
    expect(segmentIndexOf('var/lib/backstop/guest/3/stage/scsi0/000000/0000000005', '/var/lib/backstop/guest/3/stage', 'scsi0')).toBe(5);
    expect(segmentIndexOf('/var/lib/backstop/guest/3/stage/scsi0/000001/0000001024', '/var/lib/backstop/guest/3/stage/', 'scsi0')).toBe(1024);
  });

  it('ignores other disks, the manifest, config files and malformed names', () => {
    const root = '/s';
    expect(segmentIndexOf('s/virtio1/000000/0000000005', root, 'scsi0')).toBeNull();
    expect(segmentIndexOf('s/manifest.json', root, 'scsi0')).toBeNull();
    expect(segmentIndexOf('s/scsi0/000000/5', root, 'scsi0')).toBeNull();
    // In the wrong group: not a name Backstop writes.
    expect(segmentIndexOf('s/scsi0/000001/0000000005', root, 'scsi0')).toBeNull();
    expect(segmentIndexOf('other/scsi0/000000/0000000005', root, 'scsi0')).toBeNull();
  });
});

describe('restoreDiskImage', () => {
  // A stage of one disk of 4 segments of 64 KiB, as GNU tar archives it: what `restic dump
  // --archive tar` of the disk's directory streams.
  let dir: string;
  let archive: Buffer;
  const SEG = 64 * 1024;
  const manifest = (): GuestManifest => ({
    version: 1,
    jobId: 1,
    runId: 'r',
    frozenAt: '2026-01-01T00:00:00Z',
    stageRoot: join(dir, 'stage'),
    disks: [{ name: 'd0', size: 4 * SEG, segmentBytes: SEG, mode: 'new', reason: null, bytesRead: 4 * SEG, mtimes: [[0, 4, 0]] }],
    config: [],
  });
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'guest-restore-'));
    for (let i = 0; i < 4; i++) {
      const file = join(dir, 'stage', segmentPath('d0', i));
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, Buffer.alloc(SEG, i + 1));
    }
    archive = execFileSync('tar', ['-C', '/', '-cf', '-', join(dir, 'stage', 'd0').slice(1)], { maxBuffer: 1 << 24 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Streams the archive in pieces until the signal stops it, as restic would. */
  const engine = (onAbort: () => void = () => undefined) => ({
    dumpArchive: async (_r: unknown, _s: string, _p: string, out: NodeJS.WritableStream, control: RunControl) => {
      for (let at = 0; at < archive.length; at += 4096) {
        if (control.signal?.aborted) {
          onAbort();
          throw new Error('restic dump: cancelled');
        }
        out.write(archive.subarray(at, at + 4096));
        await new Promise((r) => setImmediate(r));
      }
    },
  });
  const repo = { url: '/nowhere', password: 'x' };

  it('writes every segment at its offset', async () => {
    const target = join(dir, 'out.raw');
    const r = await restoreDiskImage(engine(), repo, 's', manifest(), 'd0', target);
    expect(r.segments).toBe(4);
    const data = readFileSync(target);
    for (let i = 0; i < 4; i++) expect(data.subarray(i * SEG, (i + 1) * SEG).equals(Buffer.alloc(SEG, i + 1))).toBe(true);
  });

  it('a write that fails mid-dump (ENOSPC on /dev/full) stops the dump and fails with the reason, no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    let stopped = false;
    try {
      await expect(restoreDiskImage(engine(() => (stopped = true)), repo, 's', manifest(), 'd0', '/dev/full')).rejects.toThrow(/writing disk d0 to \/dev\/full failed: .*ENOSPC/);
      // The errno travels as a field: the server's scratch images fail at once on a full disk.
      await expect(restoreDiskImage(engine(), repo, 's', manifest(), 'd0', '/dev/full')).rejects.toMatchObject({ name: 'GuestRestoreError', code: 'ENOSPC' });
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(stopped).toBe(true);
    expect(unhandled).toEqual([]);
  });
});
