import { progressFingerprint } from './restic';

const p = { percent: 10, filesDone: 3, filesTotal: 30, bytesDone: 1_048_576, bytesTotal: 10_485_760, currentFile: '/a', secondsElapsed: 4 };

describe('progress fingerprints', () => {
  it('ignore the clock and the current file: a status line repeated later is no progress', () => {
    expect(progressFingerprint({ ...p, secondsElapsed: 600, currentFile: '/b' })).toBe(progressFingerprint(p));
  });

  it('change with files or bytes done, and with the scan finding more', () => {
    const base = progressFingerprint(p);
    expect(progressFingerprint({ ...p, filesDone: 4 })).not.toBe(base);
    expect(progressFingerprint({ ...p, bytesDone: 1_048_577 })).not.toBe(base);
    expect(progressFingerprint({ ...p, filesTotal: 31 })).not.toBe(base);
  });
});
