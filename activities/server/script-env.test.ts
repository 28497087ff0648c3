import { serverScriptEnv } from './script-env';
import type { BackupPlan } from '../../contract/backup-activities';

const plan: BackupPlan = {
  jobId: 4,
  jobName: 'web',
  agentName: 'web1',
  repository: { id: 2, name: 'main', url: '/srv/repo' },
  paths: ['/srv/www', '/etc'],
  excludes: ['*.tmp'],
  snapshotMode: 'none',
  mode: 'push',
  preScript: null,
  postHook: null,
  plugins: [{ id: 7, name: 'db', plugin: 'pg_dump' }],
};

describe('serverScriptEnv', () => {
  it('gives a pre script every job field', () => {
    expect(serverScriptEnv(plan, { runId: 'r', workflowId: 'backup/4/t', phase: 'pre' })).toEqual({
      BACKSTOP_RUN_ID: 'r',
      BACKSTOP_WORKFLOW_ID: 'backup/4/t',
      BACKSTOP_PHASE: 'pre',
      BACKSTOP_JOB_ID: '4',
      BACKSTOP_JOB_NAME: 'web',
      BACKSTOP_AGENT: 'web1',
      BACKSTOP_REPOSITORY: 'main',
      BACKSTOP_REPOSITORY_ID: '2',
      BACKSTOP_REPOSITORY_URL: '/srv/repo',
      BACKSTOP_PATHS: '/srv/www\n/etc',
      BACKSTOP_EXCLUDES: '*.tmp',
      BACKSTOP_SNAPSHOT_MODE: 'none',
      BACKSTOP_PLUGIN_CONFIGS: 'db:pg_dump',
    });
  });

  it('adds the outcome for a post script', () => {
    const env = serverScriptEnv(plan, { runId: 'r', workflowId: 'w', phase: 'post', outcome: { success: false, status: 'failed', warnings: 2, snapshotId: null } });
    expect(env).toMatchObject({ BACKSTOP_PHASE: 'post', BACKSTOP_RUN_SUCCESS: 'false', BACKSTOP_RUN_STATUS: 'failed', BACKSTOP_RUN_WARNINGS: '2' });
    expect(env.BACKSTOP_SNAPSHOT_ID).toBeUndefined();
  });
});
