import { DEFAULT_BACKOFF, diesWithParent, restartDelay } from './supervisor';

describe('restartDelay', () => {
  it('doubles from the initial delay up to the maximum', () => {
    let restarts = 0;
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      const next = restartDelay(restarts, 100, DEFAULT_BACKOFF);
      delays.push(next.delayMs);
      restarts = next.restarts;
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    expect(restarts).toBe(7);
  });

  it('starts again from the initial delay after a long healthy run', () => {
    expect(restartDelay(5, DEFAULT_BACKOFF.resetAfterMs, DEFAULT_BACKOFF)).toEqual({ delayMs: 1_000, restarts: 1 });
    expect(restartDelay(5, DEFAULT_BACKOFF.resetAfterMs - 1, DEFAULT_BACKOFF)).toEqual({ delayMs: 30_000, restarts: 6 });
  });
});

describe('diesWithParent', () => {
  it('runs the command through setpriv with a parent-death signal', () => {
    expect(diesWithParent('/usr/bin/node', ['main.js', 'api'], 'TERM')).toEqual({ command: '/usr/bin/setpriv', args: ['--pdeathsig', 'TERM', '--', '/usr/bin/node', 'main.js', 'api'] });
  });

  it('leaves a command that already goes through setpriv alone', () => {
    const cmd = { command: 'setpriv', args: ['--reuid', '101', '--pdeathsig', 'INT', '--', 'postgres'] };
    expect(diesWithParent(cmd.command, cmd.args)).toEqual(cmd);
  });
});
