import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createContainerActivities, dumpRootfsTar } from './container-activities';
import type { BackupEngine } from '../../../contract/engine';
import { createLogger } from '../../../core/logger';

const logger = createLogger('test', 'silent');

/** An LXC that answers lxc-info with `state` and records what it was asked. */
function fakeLxc(initial: string) {
  let state = initial;
  const calls: string[] = [];
  const lxc = async (command: string, args: string[]) => {
    calls.push([command, ...args].join(' '));
    if (command === 'lxc-info') return { exitCode: 0, stdout: `State:          ${state}\n`, stderr: '' };
    if (command === 'lxc-freeze') state = 'FROZEN';
    if (command === 'lxc-unfreeze') state = 'RUNNING';
    return { exitCode: 0, stdout: '', stderr: '' };
  };
  return { lxc, calls, state: () => state };
}

const activities = (lxc: ReturnType<typeof fakeLxc>['lxc']) =>
  createContainerActivities({ agentName: 'a1', engine: {} as BackupEngine, secrets: {} as never, engineProcesses: {} as never, restoreRoots: [], logger, lxc });

describe('freezeContainer and thawContainer', () => {
  const env = new MockActivityEnvironment();

  it('freeze a running container and thaw it; a second thaw changes nothing', async () => {
    const fake = fakeLxc('RUNNING');
    const a = activities(fake.lxc);
    await expect(env.run(a.freezeContainer, { runId: 'r', name: 'c1' })).resolves.toEqual({ frozen: true });
    expect(fake.state()).toBe('FROZEN');
    await env.run(a.thawContainer, { runId: 'r', name: 'c1' });
    await env.run(a.thawContainer, { runId: 'r', name: 'c1' });
    expect(fake.state()).toBe('RUNNING');
    expect(fake.calls.filter((c) => !c.startsWith('lxc-info'))).toEqual(['lxc-freeze -n c1', 'lxc-unfreeze -n c1']);
  });

  it('leave a stopped container, or one someone else froze, as found', async () => {
    for (const state of ['STOPPED', 'FROZEN']) {
      const fake = fakeLxc(state);
      await expect(env.run(activities(fake.lxc).freezeContainer, { runId: 'r', name: 'c1' })).resolves.toEqual({ frozen: false });
      expect(fake.calls.filter((c) => c.startsWith('lxc-freeze'))).toEqual([]);
    }
  });

  it('fail the freeze with lxc-freeze\'s reason', async () => {
    const lxc = async (command: string) => (command === 'lxc-info' ? { exitCode: 0, stdout: 'State: RUNNING\n', stderr: '' } : { exitCode: 1, stdout: '', stderr: 'Failed to freeze c1\n' });
    await expect(env.run(activities(lxc).freezeContainer, { runId: 'r', name: 'c1' })).rejects.toThrow('lxc-freeze c1 failed: Failed to freeze c1');
  });
});

describe('dumpRootfsTar', () => {
  let dir: string;
  let tar: Buffer;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ct-dump-'));
    mkdirSync(join(dir, 'rootfs', 'etc'), { recursive: true });
    writeFileSync(join(dir, 'rootfs', 'etc', 'big'), Buffer.alloc(256 * 1024, 7));
    tar = execFileSync('tar', ['-c', '--format=pax', '-C', '/', join(dir, 'rootfs').slice(1)], { stdio: 'pipe' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** An engine whose dump writes `tar` in pieces and honours the abort signal, as restic's does when killed. */
  const engine = (): Pick<BackupEngine, 'dumpArchive'> & { aborted: boolean } => {
    const e = {
      aborted: false,
      async dumpArchive(_repo: unknown, _id: string, _path: string, out: NodeJS.WritableStream, control: { signal?: AbortSignal }) {
        for (let i = 0; i < tar.length; i += 4096) {
          if (control.signal?.aborted) {
            e.aborted = true;
            throw new Error('restic dump killed');
          }
          const ok = out.write(tar.subarray(i, i + 4096));
          if (!ok) await new Promise((r) => setTimeout(r, 1));
        }
      },
    };
    return e;
  };

  it('writes the root filesystem as a tar relative to it', async () => {
    const file = join(dir, 'out.tar');
    const r = await dumpRootfsTar(engine(), { url: 'x', password: 'p' }, 'snap', join(dir, 'rootfs'), file, {});
    expect(r.members).toBe(3);
    expect(readFileSync(file).length).toBe(r.bytes);
    expect(execFileSync('tar', ['-tf', file]).toString().trim().split('\n')).toEqual(['./', './etc/', './etc/big']);
  });

  it('fails with the write\'s reason and stops the dump when the file cannot be written (ENOSPC)', async () => {
    let written = 0;
    const full = new Writable({
      write(chunk: Buffer, _e, done) {
        written += chunk.length;
        if (written > 64 * 1024) {
          const err = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          done(err);
        } else done();
      },
    });
    const e = engine();
    await expect(dumpRootfsTar(e, { url: 'x', password: 'p' }, 'snap', join(dir, 'rootfs'), join(dir, 'never.tar'), {}, full)).rejects.toThrow(`writing ${join(dir, 'never.tar')} failed: ENOSPC: no space left on device, write`);
    expect(e.aborted).toBe(true);
  });
});
