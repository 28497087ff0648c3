import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestorePlanStore, discardTouchedWrites, mustRewrite, needsResumePlan } from './restore-resume-plan';

const PLANNED_AT = Date.parse('2026-11-24T10:00:00Z');
const OLD = new Date('2020-01-01T00:00:00Z');

describe('needsResumePlan', () => {
  it.each([
    ['never', true],
    ['if-newer', true],
    ['always', false],
    ['if-changed', false],
    [null, false],
  ] as const)('%s → %s', (policy, expected) => {
    expect(needsResumePlan(policy)).toBe(expected);
  });
});

describe('mustRewrite', () => {
  const planned = { path: '/a', size: 10 };
  it('leaves a complete file (old mtime, planned size) alone', () => {
    expect(mustRewrite({ isFile: true, mtimeMs: OLD.getTime(), size: 10 }, planned, PLANNED_AT)).toBe(false);
  });
  it('rewrites a file touched after the plan', () => {
    expect(mustRewrite({ isFile: true, mtimeMs: PLANNED_AT + 5_000, size: 10 }, planned, PLANNED_AT)).toBe(true);
  });
  it('allows for coarse timestamps just before the plan', () => {
    expect(mustRewrite({ isFile: true, mtimeMs: PLANNED_AT - 1_000, size: 10 }, planned, PLANNED_AT)).toBe(true);
  });
  it('rewrites a file not at its planned size', () => {
    expect(mustRewrite({ isFile: true, mtimeMs: OLD.getTime(), size: 4 }, planned, PLANNED_AT)).toBe(true);
  });
  it('never touches what is missing or not a regular file', () => {
    expect(mustRewrite(null, planned, PLANNED_AT)).toBe(false);
    expect(mustRewrite({ isFile: false, mtimeMs: PLANNED_AT + 5_000, size: 3 }, planned, PLANNED_AT)).toBe(false);
  });
});

describe('discardTouchedWrites', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'resume-plan-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('removes only planned files a killed attempt touched, never unplanned ones', () => {
    const target = join(dir, 't');
    mkdirSync(join(target, 'src'), { recursive: true });
    const file = (name: string, content: string, mtime?: Date) => {
      writeFileSync(join(target, 'src', name), content);
      if (mtime) utimesSync(join(target, 'src', name), mtime, mtime);
    };
    file('complete', '0123456789', OLD); // restored whole before the crash
    file('half', '01234'); // being written when the worker died
    file('untouched-older', 'local', OLD); // planned (if-newer), not reached yet, other size
    file('local-only', 'mine'); // not in the plan: the operator's file
    const plan = {
      plannedAtMs: Date.now() - 10_000,
      target,
      writes: [
        { path: '/src/complete', size: 10 },
        { path: '/src/half', size: 10 },
        { path: '/src/untouched-older', size: 10 },
        { path: '/src/missing', size: 3 },
        { path: '/src', size: 0 },
      ],
    };
    return discardTouchedWrites(plan).then((removed) => {
      expect(removed).toBe(2);
      expect(existsSync(join(target, 'src', 'complete'))).toBe(true);
      expect(existsSync(join(target, 'src', 'half'))).toBe(false);
      expect(existsSync(join(target, 'src', 'untouched-older'))).toBe(false);
      expect(readFileSync(join(target, 'src', 'local-only'), 'utf8')).toBe('mine');
      expect(existsSync(join(target, 'src'))).toBe(true);
    });
  });

  it('never follows a directory swapped for a symlink', async () => {
    const target = join(dir, 't');
    const outside = join(dir, 'outside');
    mkdirSync(target);
    mkdirSync(outside);
    writeFileSync(join(outside, 'victim'), 'keep me');
    symlinkSync(outside, join(target, 'src'));
    const removed = await discardTouchedWrites({ plannedAtMs: Date.now() - 10_000, target, writes: [{ path: '/src/victim', size: 1 }] });
    expect(removed).toBe(0);
    expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('keep me');
  });
});

describe('RestorePlanStore', () => {
  it('saves, loads and removes a plan per run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plans-'));
    try {
      const store = new RestorePlanStore(join(dir, 'plans'));
      expect(await store.load('restore/1/x')).toBeNull();
      const plan = { plannedAtMs: 1, target: '/t', writes: [{ path: '/a', size: 2 }] };
      await store.save('restore/1/x', plan);
      expect(await store.load('restore/1/x')).toEqual(plan);
      expect(await store.load('restore/1/y')).toBeNull();
      await store.remove('restore/1/x');
      expect(await store.load('restore/1/x')).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
