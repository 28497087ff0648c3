// The agent's plugin activities with a recording plugin, a fake engine and a fake config
// source, in Temporal's mock activity context: lifecycle order, stream adoption on retry,
// cleanup that goes on past a failing plugin, and secrets kept out of error messages.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createLogger } from '../../core/logger';
import { runTag } from '../../contract/names';
import type { BackupEngine, BackupRequest, EngineSnapshot } from '../../contract/engine';
import type { BackstopPlugin } from '../../contract/plugin-api';
import { createPluginActivities } from './plugin-activities';
import { PluginRegistry } from '../shared/plugins/registry';
import type { PluginBackupResult } from '../../contract/plugin-activities';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'backstop-plugin-activities-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const WORKFLOW = 'backup/9/2026-11-24T10:00:00Z';
const run = { runId: 'r1', workflowId: WORKFLOW, jobId: 9, jobName: 'db', configIds: [1, 2] };

function setup(opts: { existing?: EngineSnapshot[]; failCleanupOf?: number; failBackupWith?: string } = {}) {
  const calls: string[] = [];
  const requests: BackupRequest[] = [];
  const recorder: BackstopPlugin<{ n: number; token?: string }> = {
    type: 'recorder',
    description: 'records its lifecycle',
    capabilities: { engines: ['restic'], restoreTargets: [] },
    secretFields: ['token'],
    parseConfig: (raw) => raw as { n: number; token?: string },
    jobInit: async (_ctx, c) => void calls.push(`jobInit ${c.n}`),
    backupInit: async (_ctx, c) => void calls.push(`backupInit ${c.n}`),
    backup: async (ctx, c) => {
      calls.push(`backup ${c.n}`);
      if (opts.failBackupWith) throw new Error(opts.failBackupWith);
      return { paths: [join(ctx.workDir, 'dump')], streams: [{ item: `db${c.n}`, pseudoPath: `/backstop/rec/${c.n}`, command: 'dumper', args: [], env: {} }] };
    },
    backupCleanup: async (_ctx, c, outcome) => {
      calls.push(`backupCleanup ${c.n} ${outcome.success}`);
      if (opts.failCleanupOf === c.n) throw new Error('cleanup broke');
    },
    jobCleanup: async (_ctx, c) => void calls.push(`jobCleanup ${c.n}`),
    test: async () => ({ ok: true, checks: [] }),
  };
  const engine = {
    findSnapshotsByTag: async () => opts.existing ?? [],
    backup: async (_repo: unknown, req: BackupRequest) => {
      requests.push(req);
      return { snapshot: { id: `new-${req.paths[0]}`, time: 't', hostname: 'db1', paths: req.paths, tags: req.tags }, stats: null, unreadable: [] };
    },
  } as unknown as BackupEngine;
  const activities = createPluginActivities({
    agentName: 'db1',
    registry: new PluginRegistry([recorder as BackstopPlugin]),
    configs: { get: async (id) => ({ id, name: `c${id}`, plugin: 'recorder', settings: { n: id }, secrets: { token: `secret-token-${id}` } }) },
    engine,
    secrets: { repositoryPassword: async () => 'pw', repositoryAccess: async () => ({ password: 'pw', env: {} }) },
    workRoot: dir,
    logger: createLogger('test', 'silent'),
  });
  return { calls, requests, activities };
}

describe('plugin activities', () => {
  it('initialise every configuration in order, then contribute paths and streams tagged per item', async () => {
    const { calls, requests, activities } = setup();
    await new MockActivityEnvironment().run(activities.pluginsBackupInit, run);
    const result = (await new MockActivityEnvironment().run(activities.pluginsBackup, { ...run, repository: { id: 3, url: '/repo' }, extraTags: ['nightly'] })) as PluginBackupResult;
    expect(calls).toEqual(['jobInit 1', 'backupInit 1', 'jobInit 2', 'backupInit 2', 'backup 1', 'backup 2']);
    expect(result.paths).toEqual([join(dir, 'r1', '1', 'dump'), join(dir, 'r1', '2', 'dump')]);
    expect(requests.map((r) => r.tags)).toEqual([
      [runTag(WORKFLOW), 'backstop-job=9', 'backstop-item=1/db1', 'nightly'],
      [runTag(WORKFLOW), 'backstop-job=9', 'backstop-item=2/db2', 'nightly'],
    ]);
    expect(requests[0]!.stdin).toEqual({ filename: '/backstop/rec/1', command: ['env', '-u', 'BORG_BASE_DIR', '-u', 'BORG_KEY_FILE', '-u', 'BORG_PASSCOMMAND', '-u', 'BORG_PASSPHRASE', '-u', 'BORG_PASSPHRASE_FD', '-u', 'BORG_REPO', '-u', 'BORG_RSH', '-u', 'RESTIC_PASSWORD', '-u', 'RESTIC_PASSWORD_COMMAND', '-u', 'RESTIC_PASSWORD_FILE', '-u', 'RESTIC_REPOSITORY', '--', 'dumper'], env: {} });
    expect(result.streams.map((s) => [s.item, s.adopted])).toEqual([['db1', false], ['db2', false]]);
  });

  it('adopts on a retry the streams an earlier attempt stored, and writes only the others', async () => {
    const earlier: EngineSnapshot = { id: 'old', time: 't', hostname: 'db1', paths: ['/backstop/rec/1'], tags: [runTag(WORKFLOW), 'backstop-item=1/db1'] };
    const { requests, activities } = setup({ existing: [earlier] });
    const result = (await new MockActivityEnvironment({ attempt: 2 }).run(activities.pluginsBackup, { ...run, repository: { id: 3, url: '/repo' } })) as PluginBackupResult;
    expect(result.streams.map((s) => [s.snapshot.id, s.adopted])).toEqual([['old', true], ['new-/backstop/rec/2', false]]);
    expect(requests).toHaveLength(1);
  });

  it('cleans up in reverse order, going on past a failing plugin with a warning', async () => {
    const { calls, activities } = setup({ failCleanupOf: 2 });
    const r = (await new MockActivityEnvironment().run(activities.pluginsBackupCleanup, { ...run, success: false, snapshotId: null })) as { warnings: string[] };
    expect(calls).toEqual(['backupCleanup 2 false', 'jobCleanup 2', 'backupCleanup 1 false', 'jobCleanup 1']);
    expect(r.warnings).toEqual(['recorder (config 2) backupCleanup: cleanup broke']);
  });

  it('keeps configuration secrets out of error messages', async () => {
    const { activities } = setup({ failBackupWith: 'could not log in with secret-token-1' });
    await expect(new MockActivityEnvironment().run(activities.pluginsBackup, { ...run, repository: { id: 3, url: '/repo' } })).rejects.toThrow('could not log in with [redacted]');
  });
});
