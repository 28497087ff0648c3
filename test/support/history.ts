// Workflow histories of real runs, as an operator exports them (`temporal workflow show
// --output json`): the tests search them for secrets, and with RECORD_HISTORIES=1 they are
// saved for test/workflow/replay.test.ts, which replays every file it finds.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { decodeTimeoutType } from '@temporalio/common';
import { toolPath } from './tools';

export async function historyJson(temporalAddress: string, workflowId: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    toolPath('temporal'),
    ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', temporalAddress],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout;
}

/** Saves the history as test/workflow/histories/<name>.json when RECORD_HISTORIES=1. */
export function recordHistory(name: string, json: string): void {
  if (process.env.RECORD_HISTORIES === '1') writeFileSync(join(__dirname, '..', 'workflow', 'histories', `${name}.json`), json);
}

/** Every payload of a history, decoded (payload data is base64 in the JSON export): to search it for secrets. */
export function decodedPayloads(json: string): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.data === 'string' && o.metadata && typeof o.metadata === 'object') out.push(Buffer.from(o.data, 'base64').toString('utf8'));
      Object.values(o).forEach(walk);
    }
  };
  walk(JSON.parse(json));
  return out.join('\n');
}

/** One activity of a run as its history records it: what it was given and how it ended. */
export interface ActivityRecord {
  activityType: string;
  /** The schedule-to-start timeout the workflow gave it, in ms (null: none). */
  scheduleToStartMs: number | null;
  /** How it timed out, if it did: 'SCHEDULE_TO_START', 'HEARTBEAT', … */
  timedOut: string | null;
  /** The attempt that ended it (history records only the last start); null if none started. */
  attempt: number | null;
}

const ms = (d: { seconds?: { toString(): string } | null; nanos?: number | null } | null | undefined): number | null =>
  d ? Number(d.seconds?.toString() ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1e6) : null;

/**
 * The activities of a workflow run from its history. Tests read a run's bounds here (the
 * timeout Temporal enforced) instead of timing the run on the machine's clock.
 */
export async function activityRecords(client: Client, workflowId: string): Promise<ActivityRecord[]> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const byScheduledId = new Map<string, ActivityRecord>();
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) {
      byScheduledId.set(String(e.eventId), { activityType: scheduled.activityType?.name ?? '?', scheduleToStartMs: ms(scheduled.scheduleToStartTimeout), timedOut: null, attempt: null });
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const rec = byScheduledId.get(String(started.scheduledEventId));
      if (rec) rec.attempt = started.attempt ?? null;
    }
    const timedOut = e.activityTaskTimedOutEventAttributes;
    if (timedOut) {
      const rec = byScheduledId.get(String(timedOut.scheduledEventId));
      if (rec) rec.timedOut = decodeTimeoutType(timedOut.failure?.timeoutFailureInfo?.timeoutType) ?? 'UNKNOWN';
    }
  }
  return [...byScheduledId.values()];
}
