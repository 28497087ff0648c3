// Notifications: what an event says, and the one interface every channel kind is delivered
// through. The channel kinds live in activities/server/notify/channels/ (one module each);
// the pipeline (catalog, rules, delivery workflow, API) only sees this file. No Node imports:
// workflows read these types.

/** Every kind of receiver Backstop can deliver to. */
export type ChannelKind = 'email' | 'webhook' | 'slack' | 'mattermost' | 'discord' | 'ntfy' | 'gotify' | 'healthchecks';

export const CHANNEL_KINDS: readonly ChannelKind[] = ['email', 'webhook', 'slack', 'mattermost', 'discord', 'ntfy', 'gotify', 'healthchecks'];

/**
 * What happened. `run.started` exists for healthchecks-style pings (a `/start` ping); the
 * `test` event is what `POST /v1/notification-channels/{id}/test` sends.
 */
export type NotificationEvent =
  | 'run.started'
  | 'run.succeeded'
  | 'run.warning'
  | 'run.failed'
  | 'job.stale'
  | 'agent.unreachable'
  | 'restore.awaiting_approval'
  | 'prune.failed'
  | 'sync.failed'
  | 'drill.failed'
  | 'drill.stale'
  | 'test';

export const NOTIFICATION_EVENTS: readonly NotificationEvent[] = [
  'run.started',
  'run.succeeded',
  'run.warning',
  'run.failed',
  'job.stale',
  'agent.unreachable',
  'restore.awaiting_approval',
  'prune.failed',
  'sync.failed',
  'drill.failed',
  'drill.stale',
  'test',
];

export type Severity = 'info' | 'warning' | 'error';

/** The run an event is about, in the API's field names. */
export interface NotificationRun {
  id: string;
  kind: string;
  status: string;
  jobId: number | null;
  jobName: string | null;
  agent: string | null;
  repositoryId: number | null;
  snapshotId: string | null;
  failureReason: string | null;
  warnings: number;
  startedAt: string | null;
  endedAt: string | null;
}

/**
 * One message, whatever the channel: each channel kind renders it in its service's own
 * format. Built by the pipeline from the catalog; never holds a secret.
 */
export interface NotificationMessage {
  event: NotificationEvent;
  severity: Severity;
  /** One line, e.g. "Backup of job home on web-1 failed". */
  title: string;
  /** A few lines a person reads: the reason, counts, what to do. */
  text: string;
  /** ISO-8601 time of the event (not of the delivery: a late delivery keeps it). */
  occurredAt: string;
  run: NotificationRun | null;
  job: { id: number; name: string } | null;
  agent: { name: string } | null;
  repository: { id: number; name: string } | null;
}

/** A channel as the deliverer gets it: settings as stored, secrets unsealed. */
export interface ChannelSpec {
  kind: ChannelKind;
  /** Non-secret settings (URLs without tokens, addresses, templates, headers that are not secret). */
  settings: Record<string, unknown>;
  /** Secret settings, unsealed only inside the delivery activity (SMTP password, tokens, HMAC key, secret headers). */
  secrets: Record<string, string>;
}

/** What the receiver answered: shown by the test button and recorded per delivery. */
export interface DeliveryAnswer {
  /** HTTP status, or the SMTP reply code; null when there was no answer. */
  status: number | null;
  /** The receiver's answer in a line (body excerpt, SMTP response), secrets redacted. */
  detail: string;
}

/** How each kind says what its settings and secrets are; the API validates against it. */
export interface ChannelKindDescription {
  kind: ChannelKind;
  /** Names of secret settings: sealed at rest, never returned by the API (only `set: true`). */
  secretFields: readonly string[];
}

/**
 * One channel kind. Implementations live in activities/server/notify/channels/<kind>.ts and
 * are collected in activities/server/notify/channels/index.ts as `DELIVERERS`.
 */
export interface ChannelDeliverer {
  readonly description: ChannelKindDescription;
  /** Throws BackstopError(InputError) naming the field, before anything is stored. */
  validate(settings: Record<string, unknown>, secrets: Record<string, string>): void;
  /**
   * Delivers one message. Resolves with the receiver's answer when it accepted the message;
   * throws BackstopError(DeliveryError) for a temporary failure (retried) and
   * BackstopError(InputError) for a refusal no retry can fix. Never puts a secret in a message.
   */
  deliver(spec: ChannelSpec, message: NotificationMessage, opts: { signal?: AbortSignal; timeoutMs: number }): Promise<DeliveryAnswer>;
}
