// The message of an event, built from what the catalog says about its run. Pure: the
// delivery activity reads the catalog and hands the pieces here; the same message goes to
// every channel, each kind rendering it its own way.
import type { Run } from '../../../contract/model';
import type { NotificationEvent, NotificationMessage, Severity } from '../../../contract/notifications';

export interface MessageFacts {
  event: NotificationEvent;
  /** When the event happened (kept by late deliveries). */
  occurredAt: string;
  run: Run | null;
  job: { id: number; name: string } | null;
  repository: { id: number; name: string } | null;
  /** The agent an event without a run is about (agent.unreachable). */
  agent?: string | null;
}

const SEVERITY = {
  'run.started': 'info',
  'run.succeeded': 'info',
  'run.warning': 'warning',
  'run.failed': 'error',
  'job.stale': 'warning',
  'agent.unreachable': 'error',
  'restore.awaiting_approval': 'warning',
  'prune.failed': 'error',
  'sync.failed': 'error',
  'drill.failed': 'error',
  'drill.stale': 'warning',
  test: 'info',
} as const satisfies Record<NotificationEvent, Severity>;

const KIND_WORD: Record<string, string> = {
  backup: 'Backup',
  restore: 'Restore',
  prune: 'Prune',
  's3-sync': 'S3 sync',
  check: 'Check',
  'plugin-test': 'Plugin test',
  'db-restore': 'Database restore',
  drill: 'Restore drill',
};

const OUTCOME_WORD: Partial<Record<NotificationEvent, string>> = {
  'run.started': 'started',
  'run.succeeded': 'succeeded',
  'run.warning': 'finished with warnings',
  'run.failed': 'failed',
  'prune.failed': 'failed',
  'sync.failed': 'failed',
  'drill.failed': 'failed',
  'restore.awaiting_approval': 'is waiting for approval',
};

/** "Backup of job home on web-1", "Prune of repository main": what the run was. */
function runSubject(f: MessageFacts, run: Run): string {
  const what = KIND_WORD[run.kind] ?? run.kind;
  const of = f.job ? ` of job ${f.job.name}` : f.repository ? ` of repository ${f.repository.name}` : '';
  const on = run.agentName ? ` on ${run.agentName}` : '';
  return `${what}${of}${on}`;
}

function title(f: MessageFacts): string {
  if (f.event === 'test') return 'Backstop test notification';
  if (f.event === 'job.stale') return `Job ${f.job?.name ?? '?'} is stale`;
  if (f.event === 'drill.stale') return `Restore drills of job ${f.job?.name ?? '?'} are stale`;
  if (f.event === 'agent.unreachable') return `Agent ${f.agent ?? '?'} is unreachable`;
  if (!f.run) return `Backstop: ${f.event}`;
  return `${runSubject(f, f.run)} ${OUTCOME_WORD[f.event] ?? f.event}`;
}

function text(f: MessageFacts): string {
  if (f.event === 'test') return 'This is a test message from Backstop: the channel works.';
  if (f.event === 'job.stale') return `No successful backup of job ${f.job?.name ?? '?'} for longer than its schedule allows.`;
  if (f.event === 'drill.stale') return `No passing restore drill of job ${f.job?.name ?? '?'} for longer than its drill settings allow (staleAfterDays): nobody has proved lately that its backups restore. Start one: POST /v1/jobs/${f.job?.id ?? '{id}'}/drill.`;
  if (f.event === 'agent.unreachable') return `Agent ${f.agent ?? '?'} has not been seen for longer than its heartbeat allows.`;
  const run = f.run;
  if (!run) return '';
  const lines: string[] = [];
  if (f.event === 'restore.awaiting_approval') lines.push(`Approve or reject run ${run.id} (POST /v1/runs/${run.id}/approve or /reject).`);
  if (run.failureReason && f.event !== 'run.started') lines.push(`Reason: ${run.failureReason}`);
  if (run.warnings.length > 0 && f.event !== 'run.started') lines.push(`Warnings: ${run.warnings.length} (first: ${run.warnings[0]})`);
  if (run.snapshotId) lines.push(`Snapshot: ${run.snapshotId}`);
  if (f.repository) lines.push(`Repository: ${f.repository.name}`);
  lines.push(`Run: ${run.id}`);
  return lines.join('\n');
}

export function buildMessage(f: MessageFacts): NotificationMessage {
  const run = f.run;
  return {
    event: f.event,
    severity: SEVERITY[f.event],
    title: title(f),
    text: text(f),
    occurredAt: f.occurredAt,
    run: run
      ? {
          id: run.id,
          kind: run.kind,
          status: run.status,
          jobId: run.jobId,
          jobName: f.job?.name ?? null,
          agent: run.agentName,
          repositoryId: run.repositoryId,
          snapshotId: run.snapshotId,
          failureReason: run.failureReason,
          warnings: run.warnings.length,
          startedAt: run.startedAt,
          endedAt: run.finishedAt,
        }
      : null,
    job: f.job,
    agent: run?.agentName ? { name: run.agentName } : f.agent ? { name: f.agent } : null,
    repository: f.repository,
  };
}
