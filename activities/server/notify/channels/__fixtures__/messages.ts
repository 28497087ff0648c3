// Messages the unit tests render: a failed backup with awkward characters, and how to vary it.
import type { NotificationMessage } from '../../../../../contract/notifications';

export const FAILED: NotificationMessage = {
  event: 'run.failed',
  severity: 'error',
  title: 'Backup of job home on web-1 failed',
  text: 'restic: repository is locked by PID 42 <on> "db-1" & more',
  occurredAt: '2026-12-03T07:00:00.000Z',
  run: {
    id: '0b6f8d4e-3c2a-4f4e-9d1a-2b7c5e8f9a01',
    kind: 'backup',
    status: 'failed',
    jobId: 4,
    jobName: 'home',
    agent: 'web-1',
    repositoryId: 2,
    snapshotId: null,
    failureReason: 'repository "main" is locked',
    warnings: 0,
    startedAt: '2026-12-03T06:59:00.000Z',
    endedAt: '2026-12-03T07:00:00.000Z',
  },
  job: { id: 4, name: 'home' },
  agent: { name: 'web-1' },
  repository: { id: 2, name: 'main' },
};

export function withEvent(event: NotificationMessage['event'], severity: NotificationMessage['severity'] = 'info', over: Partial<NotificationMessage> = {}): NotificationMessage {
  return { ...FAILED, event, severity, ...over };
}
