import { normalizeSchedule } from '../core/schedule';
import type { ScheduleRecord } from '../catalog/schedules';
import { isBackstopScheduleId, pausedAfterUpdate, planReconcile, temporalScheduleFor } from './schedules';

const config = { agentScheduleToStartMs: 5_000, engineHeartbeatTimeoutMs: 30_000 };

function record(over: Partial<ScheduleRecord> = {}): ScheduleRecord {
  return { id: 'backup-schedule/7', kind: 'backup', jobId: 7, repositoryId: null, definition: normalizeSchedule({ cron: ['0 2 * * *'], timezone: 'Europe/Berlin' }), paused: false, note: null, ...over };
}

describe('planReconcile', () => {
  it('creates what is missing, updates what exists, deletes what the catalog no longer has', () => {
    expect(planReconcile(['backup-schedule/1', 'backup-schedule/2', 'prune-schedule/repository-3'], ['backup-schedule/2', 'backup-schedule/9', 's3-sync-schedule/repository-4'])).toEqual({
      create: ['backup-schedule/1', 'prune-schedule/repository-3'],
      update: ['backup-schedule/2'],
      delete: ['backup-schedule/9', 's3-sync-schedule/repository-4'],
    });
  });

  it('never touches schedules that are not Backstop\'s', () => {
    expect(planReconcile([], ['nightly-report', 'backupschedule/1', 'other/backup-schedule/1'])).toEqual({ create: [], update: [], delete: [] });
  });

  it('does nothing for nothing', () => {
    expect(planReconcile([], [])).toEqual({ create: [], update: [], delete: [] });
  });

  it('recognises every Backstop prefix', () => {
    expect(['backup-schedule/1', 'prune-schedule/repository-1', 's3-sync-schedule/repository-1'].every(isBackstopScheduleId)).toBe(true);
  });
});

describe('temporalScheduleFor', () => {
  it('starts a backup on the server queue with the API configuration and no run id', () => {
    const s = temporalScheduleFor(record({ paused: true, note: 'maintenance' }), config);
    expect(s.scheduleId).toBe('backup-schedule/7');
    expect(s.action).toEqual({
      type: 'startWorkflow',
      workflowType: 'backupWorkflow',
      taskQueue: 'backstop.server',
      workflowId: 'backup/7/scheduled',
      args: [{ jobId: 7, agentScheduleToStartMs: 5_000, engineHeartbeatTimeoutMs: 30_000 }],
    });
    expect(s.spec).toMatchObject({ cronExpressions: ['0 2 * * *'], timezone: 'Europe/Berlin' });
    expect(s.state).toEqual({ paused: true, note: 'maintenance' });
  });

  it("starts a guest job's backups as the guest backup's workflow, same id and input; its drills stay drills", () => {
    expect(temporalScheduleFor(record({ guestJob: true }), config).action).toMatchObject({ workflowType: 'guestBackupWorkflow', workflowId: 'backup/7/scheduled', args: [{ jobId: 7 }] });
    expect(temporalScheduleFor(record({ id: 'drill-schedule/7', kind: 'drill', guestJob: true }), config).action).toMatchObject({ workflowType: 'drillWorkflow' });
  });

  it.each([
    ['prune', 'pruneWorkflow', 'prune/repository-3/scheduled'],
    ['s3-sync', 's3SyncWorkflow', 's3-sync/repository-3/scheduled'],
  ] as const)('starts a %s of the repository', (kind, workflowType, workflowId) => {
    const s = temporalScheduleFor(record({ id: `${kind}-schedule/repository-3`, kind, jobId: null, repositoryId: 3 }), config);
    expect(s.action).toMatchObject({ workflowType, workflowId, args: [{ repositoryId: 3 }] });
  });
});

describe('pausedAfterUpdate', () => {
  const onFailure = record({ definition: normalizeSchedule({ cron: ['@daily'], pauseOnFailure: true }) });
  it.each([
    ['catalog paused', record({ paused: true }), false, true],
    ['paused behind Backstop\'s back', record(), true, false],
    ['paused by Temporal after a failure', onFailure, true, true],
    ['running as it should', onFailure, false, false],
  ])('%s', (_what, rec, currentlyPaused, expected) => {
    expect(pausedAfterUpdate(rec, { paused: currentlyPaused })).toBe(expected);
  });
});
