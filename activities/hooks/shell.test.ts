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
