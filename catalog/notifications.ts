// The notifications aggregate: channels (secrets stay sealed here; only the API's write path
// and the delivery activity open them), rules, and one delivery row per (run, event,
// channel) with its attempts.
import type { ChannelKind, NotificationEvent } from '../contract/notifications';
import type { Session } from './db';
import { affected, iso, isoOrNull, numOrNull, one, orNull, rethrowUnique, type Row } from './rows';
import { NotFoundError } from '../contract/errors';

/** The context a channel's sealed secrets are bound to: a sealed value moved to another row does not open. */
export const channelSecretContext = (id: number): string => `notification-channel:${id}`;

export interface ChannelRecord {
  id: number;
  name: string;
  kind: ChannelKind;
  settings: Record<string, unknown>;
  /** Names of the secret fields that are set (their values stay sealed). */
  secretFields: string[];
  createdAt: string;
  updatedAt: string;
}

export interface ChannelWrite {
  name: string;
  kind: ChannelKind;
  settings: Record<string, unknown>;
  secretFields: string[];
}

/** The events a rule can name: every event but the test button's. */
export type RuleEvent = Exclude<NotificationEvent, 'test'>;

export type RuleScope = { scope: 'global' } | { scope: 'job'; jobId: number } | { scope: 'repository'; repositoryId: number };

export type RuleRecord = RuleScope & {
  id: number;
  channelId: number;
  events: RuleEvent[];
  createdAt: string;
};

export type RuleWrite = RuleScope & { channelId: number; events: RuleEvent[] };

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveryRecord {
  id: number;
  runId: string | null;
  channelId: number;
  channelName: string;
  event: NotificationEvent;
  workflowId: string;
  subject: Record<string, unknown> | null;
  occurredAt: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  answerStatus: number | null;
  answerDetail: string | null;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
}

/** A delivery to record before its workflow starts. */
export interface NewDelivery {
  runId: string | null;
  channelId: number;
  event: NotificationEvent;
  workflowId: string;
  subject?: Record<string, unknown> | null;
  occurredAt: string;
}

/** What one attempt came to. */
export type AttemptResult =
  | { outcome: 'delivered'; attempt: number; answer: { status: number | null; detail: string } }
  | { outcome: 'retrying'; attempt: number; error: string }
  | { outcome: 'failed'; attempt: number; error: string };

// --- rows ----------------------------------------------------------------------------
const channelFromRow = (r: Row): ChannelRecord => ({
  id: Number(r.id),
  name: String(r.name),
  kind: String(r.kind) as ChannelKind,
  settings: (r.settings ?? {}) as Record<string, unknown>,
  secretFields: (r.secret_fields as string[] | null) ?? [],
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

function ruleFromRow(r: Row): RuleRecord {
  const base = { id: Number(r.id), channelId: Number(r.channel_id), events: r.events as RuleEvent[], createdAt: iso(r.created_at) };
  // The table's CHECK makes the scope and its id agree.
  if (r.scope === 'job') return { ...base, scope: 'job', jobId: Number(r.job_id) };
  if (r.scope === 'repository') return { ...base, scope: 'repository', repositoryId: Number(r.repository_id) };
  return { ...base, scope: 'global' };
}

const deliveryFromRow = (r: Row): DeliveryRecord => ({
  id: Number(r.id),
  runId: orNull<string>(r.run_id),
  channelId: Number(r.channel_id),
  channelName: String(r.channel_name),
  event: String(r.event) as NotificationEvent,
  workflowId: String(r.workflow_id),
  subject: orNull<Record<string, unknown>>(r.subject),
  occurredAt: iso(r.occurred_at),
  status: String(r.status) as DeliveryStatus,
  attempts: Number(r.attempts),
  lastError: orNull<string>(r.last_error),
  answerStatus: numOrNull(r.answer_status),
  answerDetail: orNull<string>(r.answer_detail),
  lastAttemptAt: isoOrNull(r.last_attempt_at),
  deliveredAt: isoOrNull(r.delivered_at),
});

const DELIVERY_SELECT = `SELECT d.*, c.name AS channel_name FROM notification_deliveries d JOIN notification_channels c ON c.id = d.channel_id`;

// --- queries -------------------------------------------------------------------------
export class Notifications {
  constructor(private readonly s: Session) {}

  // --- channels ------------------------------------------------------------------------
  /** Reserves an id first: the sealed secrets are bound to it. */
  async nextChannelId(): Promise<number> {
    const { rows } = await this.s.q.query<{ id: string }>(`SELECT nextval('notification_channels_id_seq') AS id`);
    return Number(rows[0]!.id);
  }

  async insertChannel(id: number, c: ChannelWrite, secretsSealed: string | null): Promise<ChannelRecord> {
    try {
      const { rows } = await this.s.q.query(
        `INSERT INTO notification_channels (id, name, kind, settings, secret_fields, secrets_sealed) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [id, c.name, c.kind, JSON.stringify(c.settings), c.secretFields, secretsSealed],
      );
      return channelFromRow(rows[0]!);
    } catch (err) {
      rethrowUnique(err, `a notification channel named "${c.name}" already exists`);
    }
  }

  async updateChannel(id: number, c: ChannelWrite, secretsSealed: string | null): Promise<ChannelRecord> {
    try {
      const { rows } = await this.s.q.query(
        `UPDATE notification_channels SET name = $2, kind = $3, settings = $4, secret_fields = $5, secrets_sealed = $6, updated_at = now() WHERE id = $1 RETURNING *`,
        [id, c.name, c.kind, JSON.stringify(c.settings), c.secretFields, secretsSealed],
      );
      return channelFromRow(one(rows, `notification channel ${id}`));
    } catch (err) {
      rethrowUnique(err, `a notification channel named "${c.name}" already exists`);
    }
  }

  async getChannel(id: number): Promise<ChannelRecord> {
    const { rows } = await this.s.q.query('SELECT * FROM notification_channels WHERE id = $1', [id]);
    return channelFromRow(one(rows, `notification channel ${id}`));
  }

  async listChannels(): Promise<ChannelRecord[]> {
    const { rows } = await this.s.q.query('SELECT * FROM notification_channels ORDER BY id');
    return rows.map(channelFromRow);
  }

  /** The sealed secrets, or null for a channel without any. */
  async channelSecrets(id: number): Promise<string | null> {
    const { rows } = await this.s.q.query<{ secrets_sealed: string | null }>('SELECT secrets_sealed FROM notification_channels WHERE id = $1', [id]);
    return one(rows, `notification channel ${id}`).secrets_sealed ?? null;
  }

  /** Deletes the channel with its rules and deliveries (their workflows find no row and stop). */
  async deleteChannel(id: number): Promise<void> {
    const r = await this.s.q.query('DELETE FROM notification_channels WHERE id = $1', [id]);
    if (affected(r) === 0) throw new NotFoundError(`notification channel ${id} not found`);
  }

  // --- rules ---------------------------------------------------------------------------
  async insertRule(r: RuleWrite): Promise<RuleRecord> {
    const { rows } = await this.s.q.query(
      `INSERT INTO notification_rules (channel_id, events, scope, job_id, repository_id) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [r.channelId, r.events, r.scope, r.scope === 'job' ? r.jobId : null, r.scope === 'repository' ? r.repositoryId : null],
    );
    return ruleFromRow(rows[0]!);
  }

  async getRule(id: number): Promise<RuleRecord> {
    const { rows } = await this.s.q.query('SELECT * FROM notification_rules WHERE id = $1', [id]);
    return ruleFromRow(one(rows, `notification rule ${id}`));
  }

  async listRules(filter: { channelId?: number } = {}): Promise<RuleRecord[]> {
    const { rows } = await this.s.q.query('SELECT * FROM notification_rules WHERE ($1::bigint IS NULL OR channel_id = $1) ORDER BY id', [filter.channelId ?? null]);
    return rows.map(ruleFromRow);
  }

  async deleteRule(id: number): Promise<void> {
    const r = await this.s.q.query('DELETE FROM notification_rules WHERE id = $1', [id]);
    if (affected(r) === 0) throw new NotFoundError(`notification rule ${id} not found`);
  }

  // --- deliveries ----------------------------------------------------------------------
  /** Records a delivery once: asked again (a retried activity), the first row stays and is returned. */
  async recordDelivery(d: NewDelivery): Promise<DeliveryRecord> {
    await this.s.q.query(
      `INSERT INTO notification_deliveries (run_id, channel_id, event, workflow_id, subject, occurred_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (workflow_id) DO NOTHING`,
      [d.runId, d.channelId, d.event, d.workflowId, d.subject ? JSON.stringify(d.subject) : null, d.occurredAt],
    );
    return this.deliveryByWorkflowId(d.workflowId);
  }

  async deliveryByWorkflowId(workflowId: string): Promise<DeliveryRecord> {
    const { rows } = await this.s.q.query(`${DELIVERY_SELECT} WHERE d.workflow_id = $1`, [workflowId]);
    return deliveryFromRow(one(rows, `notification delivery ${workflowId}`));
  }

  async getDelivery(id: number): Promise<DeliveryRecord> {
    const { rows } = await this.s.q.query(`${DELIVERY_SELECT} WHERE d.id = $1`, [id]);
    return deliveryFromRow(one(rows, `notification delivery ${id}`));
  }

  async deliveriesOfRun(runId: string): Promise<DeliveryRecord[]> {
    const { rows } = await this.s.q.query(`${DELIVERY_SELECT} WHERE d.run_id = $1 ORDER BY d.id`, [runId]);
    return rows.map(deliveryFromRow);
  }

  /**
   * Records one attempt. Attempts only grow (a late write of an earlier attempt does not
   * lower them) and a delivered row stays delivered: a duplicate report cannot undo it.
   */
  async recordAttempt(id: number, r: AttemptResult): Promise<void> {
    const status = r.outcome === 'retrying' ? 'pending' : r.outcome;
    const error = r.outcome === 'delivered' ? null : r.error;
    const answer = r.outcome === 'delivered' ? r.answer : null;
    await this.s.q.query(
      `UPDATE notification_deliveries SET
         attempts = GREATEST(attempts, $2),
         status = $3,
         last_error = COALESCE($4, last_error),
         answer_status = $5,
         answer_detail = $6,
         last_attempt_at = now(),
         delivered_at = CASE WHEN $3 = 'delivered' THEN now() END
       WHERE id = $1 AND status <> 'delivered'`,
      [id, r.attempt, status, error, answer?.status ?? null, answer?.detail ?? null],
    );
  }

  /** The delivery gave up (its retries ran out): failed, unless it was delivered meanwhile. */
  async markFailed(id: number, error: string): Promise<void> {
    await this.s.q.query(
      `UPDATE notification_deliveries SET status = 'failed',
         last_error = CASE WHEN last_error IS NULL OR last_error = $2 THEN $2 ELSE $2 || ' (last error: ' || last_error || ')' END
       WHERE id = $1 AND status = 'pending'`,
      [id, error],
    );
  }

  /** Every rule that names `event` (which of them apply to a run is activities/server/notify/rules.ts's call). */
  async rulesForEvent(event: NotificationEvent): Promise<RuleRecord[]> {
    const { rows } = await this.s.q.query('SELECT * FROM notification_rules WHERE $1 = ANY(events) ORDER BY id', [event]);
    return rows.map(ruleFromRow);
  }

  // --- the health watch's memory ---------------------------------------------------------
  /** What the watch last saw of each subject ('job:<id>', 'agent:<name>'). */
  async watchStates(): Promise<Map<string, { bad: boolean; since: string }>> {
    const { rows } = await this.s.q.query('SELECT subject, bad, since FROM notification_watch');
    return new Map(rows.map((r) => [String(r.subject), { bad: Boolean(r.bad), since: iso(r.since) }]));
  }

  /** Records one look: the state and when it began, as the data says (last success, last heartbeat). */
  async setWatchState(subject: string, bad: boolean, since: string): Promise<void> {
    await this.s.q.query(
      `INSERT INTO notification_watch (subject, bad, since) VALUES ($1, $2, $3)
       ON CONFLICT (subject) DO UPDATE SET since = EXCLUDED.since, bad = EXCLUDED.bad, checked_at = now()`,
      [subject, bad, since],
    );
  }
}
