import { MockActivityEnvironment } from '@temporalio/testing';
import { whileReportingProgress, withClockHeartbeat } from './clock-heartbeat';

// Fake timers: the clock is stepped by hand, so nothing here depends on how busy the machine is.
beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

function counted(): { env: MockActivityEnvironment; beats: () => number } {
  const env = new MockActivityEnvironment();
  let n = 0;
  env.on('heartbeat', () => n++);
  return { env, beats: () => n };
}

describe('withClockHeartbeat', () => {
  it('heartbeats once per tick while the step runs, none at its start, and stops when it ends', async () => {
    const { env, beats } = counted();
    let finish!: (v: string) => void;
    const step = withClockHeartbeat((_: string) => new Promise<string>((r) => (finish = r)), 1_000);
    const running = env.run(step, 'x');
    expect(beats()).toBe(0);
    await jest.advanceTimersByTimeAsync(3_500);
    expect(beats()).toBe(3);
    finish('done');
    await expect(running).resolves.toBe('done');
    await jest.advanceTimersByTimeAsync(5_000);
    expect(beats()).toBe(3);
  });

  it('passes the step failure through and still stops the clock', async () => {
    const { env, beats } = counted();
    const step = withClockHeartbeat(async () => {
      throw new Error('snapshot failed');
    }, 1_000);
    await expect(env.run(step)).rejects.toThrow('snapshot failed');
    await jest.advanceTimersByTimeAsync(5_000);
    expect(beats()).toBe(0);
  });
});

describe('whileReportingProgress', () => {
  it('beats the current details at once and on each tick, the latest each time, and stops when done', async () => {
    const env = new MockActivityEnvironment();
    const sent: unknown[] = [];
    env.on('heartbeat', (d: unknown) => sent.push(d));
    let phase = 'starting';
    let finish!: () => void;
    const running = env.run(() => whileReportingProgress(() => ({ phase }), () => new Promise<void>((r) => (finish = r)), 1_000));
    expect(sent).toEqual([{ phase: 'starting' }]);
    phase = 'restoring';
    await jest.advanceTimersByTimeAsync(2_500);
    expect(sent).toEqual([{ phase: 'starting' }, { phase: 'restoring' }, { phase: 'restoring' }]);
    finish();
    await running;
    await jest.advanceTimersByTimeAsync(5_000);
    expect(sent).toHaveLength(3);
  });
});
