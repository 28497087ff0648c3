import { hookEnv, runHook } from './shell';

describe('hookEnv', () => {
  it('names fields BACKSTOP_<FIELD>', () => {
    expect(hookEnv({ jobId: 4, runSuccess: true, paths: ['/a', '/b'], skipped: null })).toEqual({
      BACKSTOP_JOB_ID: '4',
      BACKSTOP_RUN_SUCCESS: 'true',
      BACKSTOP_PATHS: '/a\n/b',
    });
  });
});

describe('runHook', () => {
  it('runs a command with its environment and collects output', async () => {
    const r = await runHook({ command: 'echo "job=$BACKSTOP_JOB_ID"; echo err >&2; exit 3', env: { BACKSTOP_JOB_ID: '7' }, timeoutMs: 5_000 });
    expect(r.exitCode).toBe(3);
    expect(r.output).toEqual(expect.arrayContaining(['job=7', 'err']));
  });

  it('kills a hook that runs past its timeout, children included', async () => {
    const started = Date.now();
    await expect(runHook({ command: 'sleep 30 & sleep 30; wait', env: {}, timeoutMs: 300 })).rejects.toThrow(/timed out after 300 ms/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('runHook stall', () => {
  it('stops a hook that hangs silently, as stalled, quoting its last line', async () => {
    await expect(runHook({ command: 'echo dumping; sleep 30', env: {}, timeoutMs: 20_000, stallTimeoutMs: 300, killGraceMs: 200, label: 'pre script' })).rejects.toMatchObject({
      type: 'StalledError',
      message: expect.stringMatching(/^pre script stalled: no output for 0\.\ds after "dumping"$/),
    });
  });

  it('lets a hook that keeps printing run past the stall timeout', async () => {
    const r = await runHook({ command: 'for i in 1 2 3 4 5 6; do echo $i; sleep 0.1; done', env: {}, timeoutMs: 20_000, stallTimeoutMs: 400 });
    expect(r.exitCode).toBe(0);
    expect(r.output).toHaveLength(6);
  });
});
