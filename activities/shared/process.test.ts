// runProcess with real local children: stopping on abort (SIGINT, then SIGKILL after the
// grace period for a child that ignores SIGINT) and stopping a child that stalls.
import { runProcess } from './process';

jest.setTimeout(30_000);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('runProcess', () => {
  it('stops a cancelled child with SIGINT when it obeys', async () => {
    const ac = new AbortController();
    // `sleep` itself, not a shell around it: dash can lose a SIGINT that arrives while it
    // forks, which would test the shell rather than runProcess.
    const r = await runProcess('sleep', ['60'], { signal: ac.signal, killGraceMs: 20_000, onSpawn: () => ac.abort() });
    // Gone well before the 20 s grace: SIGINT was enough.
    expect(r).toMatchObject({ aborted: true, killed: false, stalled: false, signal: 'SIGINT' });
  });

  it('escalates to SIGKILL after the grace period for a child that ignores SIGINT', async () => {
    const ac = new AbortController();
    let pid = 0;
    const started = Date.now();
    const r = await runProcess('sh', ['-c', 'trap "" INT; echo ready; sleep 60'], {
      signal: ac.signal,
      killGraceMs: 500,
      onSpawn: (p) => (pid = p),
      onStdoutLine: () => ac.abort(),
    });
    expect(r).toMatchObject({ aborted: true, killed: true, signal: 'SIGKILL' });
    // Not before the grace period was over.
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(alive(pid)).toBe(false);
  });

  it('stops a silent child as stalled when output is the progress', async () => {
    const r = await runProcess('sh', ['-c', 'echo one; sleep 60'], { stall: { timeoutMs: 300 }, killGraceMs: 500 });
    expect(r).toMatchObject({ stalled: true, aborted: false });
    expect(r.stalledForMs).toBeGreaterThanOrEqual(300);
  });

  it('stops a child that talks but does not move, by its fingerprint', async () => {
    // Prints the same "progress" every 50 ms: alive, heartbeating, not moving.
    let last = '';
    const r = await runProcess('sh', ['-c', 'while true; do echo 5; sleep 0.05; done'], {
      onStdoutLine: (l) => (last = l),
      stall: { timeoutMs: 400, fingerprint: () => last },
      killGraceMs: 500,
    });
    expect(r.stalled).toBe(true);
  });

  it('leaves a child alone while its fingerprint moves', async () => {
    let last = '';
    // Runs ~3x the stall timeout in total, with a new number well within it each time
    // (generous: the CI machine may be slow to start each `sleep`).
    const r = await runProcess('sh', ['-c', 'i=0; while [ $i -lt 6 ]; do i=$((i+1)); echo $i; sleep 0.5; done'], {
      onStdoutLine: (l) => (last = l),
      stall: { timeoutMs: 2_000, fingerprint: () => last },
    });
    expect(r).toMatchObject({ exitCode: 0, stalled: false });
    expect(last).toBe('6');
  });
});

describe('runProcess stall with countReads', () => {
  it('counts bytes the child reads as progress, though it prints nothing new', async () => {
    // Prints once, then reads steadily for ~2.5 s: never idle for the 1 s timeout.
    const r = await runProcess('sh', ['-c', 'echo start; i=0; while [ $i -lt 25 ]; do i=$((i+1)); head -c 100000 /dev/zero > /dev/null; cat /proc/self/status > /dev/null; sleep 0.1; done'], {
      stall: { timeoutMs: 1_000, fingerprint: () => 'same', countReads: true },
    });
    expect(r).toMatchObject({ exitCode: 0, stalled: false });
  });
});
