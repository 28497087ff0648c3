import { readingProgress } from './guest-activities';

describe('readingProgress', () => {
  it('counts the bytes read of the bytes planned', () => {
    expect(readingProgress(3 * 65536, 4 * 65536, 2.5)).toEqual({ percent: 75, filesDone: 0, filesTotal: 0, bytesDone: 196608, bytesTotal: 262144, currentFile: null, secondsElapsed: 2.5 });
  });

  it('says 0% when nothing is planned yet, and never more than 100%', () => {
    expect(readingProgress(0, 0, 0).percent).toBe(0);
    expect(readingProgress(10, 5, 1).percent).toBe(100);
  });
});
