import { MockActivityEnvironment } from '@temporalio/testing';
import { withClockHeartbeat } from './clock-heartbeat';

describe('withClockHeartbeat', () => {
  it('heartbeats on the clock while the step runs, and stops when it ends', async () => {
    const env = new MockActivityEnvironment();
    let beats = 0;
    env.on('heartbeat', () => beats++);
    const step = withClockHeartbeat(async (ms: number) => {
      await new Promise((r) => setTimeout(r, ms));
      return beats;
    }, 20);
    const duringStep = await env.run(step, 130);
    // About one per 20 ms of the 130 ms step.
    expect(duringStep).toBeGreaterThanOrEqual(4);
    const atEnd = beats;
    await new Promise((r) => setTimeout(r, 100));
    expect(beats).toBe(atEnd);
  });

  it('passes the step failure through and still stops the clock', async () => {
    const env = new MockActivityEnvironment();
    let beats = 0;
    env.on('heartbeat', () => beats++);
    const step = withClockHeartbeat(async () => {
      throw new Error('snapshot failed');
    }, 10);
    await expect(env.run(step)).rejects.toThrow('snapshot failed');
    // Done within a tick: no heartbeat at all, and none after.
    await new Promise((r) => setTimeout(r, 50));
    expect(beats).toBe(0);
  });
});
