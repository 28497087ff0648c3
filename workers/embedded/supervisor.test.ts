import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_BACKOFF, diesWithParent, restartDelay, Supervisor } from './supervisor';

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

/** Running, as /proc says (an orphan killed and not yet reaped by init is a zombie: gone). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function until(what: string, fn: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Supervisor.stopAll', () => {
  it("stops what a child started too: a grandchild does not outlive the stop", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backstop-supervisor-'));
    const pidFile = join(dir, 'grandchild.pid');
    const sup = new Supervisor(join(dir, 'logs'), () => undefined);
    try {
      // The shell dies of SIGTERM at once; its sleep would be orphaned and keep running.
      sup.start({ name: 'parent', command: 'sh', args: ['-c', `sleep 300 & echo $! > ${pidFile}; wait`] });
      await until('the grandchild to start', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '');
      const grandchild = Number(readFileSync(pidFile, 'utf8').trim());
      expect(alive(grandchild)).toBe(true);
      await sup.stopAll(5_000);
      await until('the grandchild to be gone', () => !alive(grandchild));
    } finally {
      await sup.stopAll(1_000);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
