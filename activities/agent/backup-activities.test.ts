// runBackup alone, in Temporal's mock activity context: which repository round trips each
// attempt makes. The engine is a recording fake; the restic side is covered by the parser
// tests on captured output and by the integration and crash tests on the real stack.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createAgentActivities } from './backup-activities';
import type { BackupEngine, EngineSnapshot } from '../../contract/engine';
import { EngineProcessRegistry } from '../shared/engines/orphans';
import { createLogger } from '../../core/logger';
import { runTag } from '../../contract/names';
import type { BackupStepInput } from '../../contract/backup-activities';

const input: BackupStepInput = {
  runId: 'r1',
  workflowId: 'backup/1/2026-11-22T10:00:00Z',
  jobId: 1,
  repository: { id: 7, url: '/srv/repo' },
  paths: ['/srv/data'],
  excludes: [],
};
const written: EngineSnapshot = { id: 'a'.repeat(64), time: '2026-11-22T10:00:01Z', hostname: 'local', paths: ['/srv/data'], tags: [runTag(input.workflowId)] };

let dir: string;
let children: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'backstop-agent-test-'));
});

afterEach(() => {
  for (const c of children) c.kill('SIGKILL');
  children = [];
  rmSync(dir, { recursive: true, force: true });
});

function setup(existing: EngineSnapshot[] = []) {
  const calls: string[] = [];
  const engine = {
    findSnapshotsByTag: async (_repo: unknown, tag: string) => {
      calls.push(`find ${tag}`);
      return existing;
    },
    unlockStale: async () => {
      calls.push('unlock');
    },
    backup: async () => {
      calls.push('backup');
      return { snapshot: written, stats: null, unreadable: [] };
    },
  } as unknown as BackupEngine;
  const engineProcesses = new EngineProcessRegistry(join(dir, 'pids'));
  // Both ways of asking for a repository's secrets, whichever the activity uses.
  const secrets = { repositoryPassword: async () => 'pw', repositoryAccess: async () => ({ password: 'pw', env: {} }) };
  const activities = createAgentActivities({
    agentName: 'local',
    engine,
    secrets,
    snapshotProviders: [],
    engineProcesses,
    logger: createLogger('test', 'silent'),
  });
  return { calls, activities, engineProcesses };
}

describe('runBackup', () => {
  it('goes straight to the backup on the first attempt: no earlier attempt can have written or locked anything', async () => {
    const { calls, activities } = setup();
    const result = await new MockActivityEnvironment({ attempt: 1 }).run(activities.runBackup, input);
    expect(calls).toEqual(['backup']);
    expect(result).toMatchObject({ snapshot: written, adopted: false });
  });

  it('adopts the snapshot of an earlier attempt instead of writing a second one', async () => {
    const { calls, activities } = setup([written]);
    const result = await new MockActivityEnvironment({ attempt: 2 }).run(activities.runBackup, input);
    // Stale locks go before adopting too: the attempt that saved the snapshot may have died holding one.
    expect(calls).toEqual(['unlock', `find ${runTag(input.workflowId)}`]);
    expect(result).toMatchObject({ snapshot: written, adopted: true, stats: null });
  });

  it('does not adopt a plugin stream of the run (it carries the run tag too) as the files snapshot', async () => {
    const stream: EngineSnapshot = { ...written, id: 'b'.repeat(64), paths: ['/backstop/pg_dump/config-3/app.dump'], tags: [runTag(input.workflowId), 'backstop-item=3/app'] };
    const { calls, activities } = setup([stream]);
    const result = await new MockActivityEnvironment({ attempt: 2 }).run(activities.runBackup, input);
    expect(calls).toEqual(['unlock', `find ${runTag(input.workflowId)}`, 'backup']);
    expect(result).toMatchObject({ snapshot: written, adopted: false });
  });

  it('removes stale locks before backing up on a retry that finds no snapshot', async () => {
    const { calls, activities } = setup();
    await new MockActivityEnvironment({ attempt: 3 }).run(activities.runBackup, input);
    expect(calls).toEqual(['unlock', `find ${runTag(input.workflowId)}`, 'backup']);
  });

  it('looks for a snapshot even on attempt 1 when an engine process of this run was still alive', async () => {
    const { calls, activities, engineProcesses } = setup([written]);
    // A process carrying the run tag on its command line, as a leftover restic would.
    const leftover = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)', runTag(input.workflowId)], { stdio: 'ignore' });
    children.push(leftover);
    await new Promise((r) => leftover.once('spawn', r));
    engineProcesses.record(input.workflowId, leftover.pid!);
    const exited = new Promise((r) => leftover.once('exit', r));

    const result = await new MockActivityEnvironment({ attempt: 1 }).run(activities.runBackup, input);
    expect(calls).toEqual(['unlock', `find ${runTag(input.workflowId)}`]);
    expect(result).toMatchObject({ adopted: true });
    await exited;
    expect(leftover.signalCode).toBe('SIGKILL');
  });
});
