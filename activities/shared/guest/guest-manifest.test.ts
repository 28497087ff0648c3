import { fromMtimeRuns, ManifestError, parseManifest, toMtimeRuns } from './guest-manifest';

describe('segment mtimes as runs', () => {
  it('round-trips', () => {
    const mtimes = [5, 5, 5, 9, 5, 5, 7];
    const runs = toMtimeRuns(mtimes);
    expect(runs).toEqual([
      [0, 3, 5],
      [3, 1, 9],
      [4, 2, 5],
      [6, 1, 7],
    ]);
    expect(fromMtimeRuns(runs, 7)).toEqual(mtimes);
  });

  it('refuses runs that skip, overlap or fall short', () => {
    expect(() => fromMtimeRuns([[1, 2, 5]], 3)).toThrow(ManifestError);
    expect(() => fromMtimeRuns([[0, 2, 5], [1, 1, 5]], 3)).toThrow(/do not follow/);
    expect(() => fromMtimeRuns([[0, 2, 5]], 3)).toThrow(/cover 2 of 3/);
  });
});

describe('parseManifest', () => {
  const good = { version: 1, jobId: 1, runId: 'r', frozenAt: '2026-12-03T00:00:00Z', stageRoot: '/s', disks: [{ name: 'scsi0', size: 3 * 65536, segmentBytes: 65536, mode: 'new', reason: null, bytesRead: 0, mtimes: [[0, 3, 1]] }], config: [] };
  it('reads a version 1 manifest', () => {
    expect(parseManifest(JSON.stringify(good)).disks[0]!.name).toBe('scsi0');
  });
  it.each([
    ['not JSON', '{'],
    ['another version', JSON.stringify({ ...good, version: 2 })],
    ['a disk name that is a path', JSON.stringify({ ...good, disks: [{ ...good.disks[0], name: '../etc' }] })],
    ['mtimes for too few segments', JSON.stringify({ ...good, disks: [{ ...good.disks[0], mtimes: [[0, 2, 1]] }] })],
  ])('refuses %s', (_, json) => {
    expect(() => parseManifest(json)).toThrow(ManifestError);
  });
});
