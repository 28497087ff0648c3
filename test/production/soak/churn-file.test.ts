import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHURN_FILE, churnContent, churnIntact, replaceChurnFile } from './churn-file';

describe('churn content', () => {
  it('verifies itself', () => {
    const c = churnContent(1_000);
    expect(c).toHaveLength(1_032);
    expect(churnIntact(c)).toBe(true);
  });

  it('fails on a changed byte, a cut-off file and a too short one', () => {
    const c = churnContent(100);
    const flipped = Buffer.from(c);
    flipped[10] = flipped[10]! ^ 1;
    expect(churnIntact(flipped)).toBe(false);
    expect(churnIntact(c.subarray(0, 90))).toBe(false);
    expect(churnIntact(Buffer.alloc(5))).toBe(false);
  });

  it('holds for an empty payload', () => {
    expect(churnIntact(churnContent(0))).toBe(true);
  });
});

describe('replaceChurnFile', () => {
  it('puts an intact file in the source and leaves nothing else in it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'churn-'));
    try {
      const source = join(dir, 'src');
      mkdirSync(source);
      replaceChurnFile(source, 2_000);
      replaceChurnFile(source, 3_000);
      expect(readdirSync(source)).toEqual([CHURN_FILE]);
      const content = readFileSync(join(source, CHURN_FILE));
      expect(content).toHaveLength(3_032);
      expect(churnIntact(content)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
