// The delivery workflow's activities (server task queue): one attempt of one delivery, and
// its giving up. Each attempt is recorded in notification_deliveries (attempts, last error,
// status, the receiver's answer), so GET /v1/runs/{id} shows a delivery that is still trying.
// The channel's secrets are opened here and nowhere else on the way.
import { Context } from '@temporalio/activity';
import { BackstopError, ErrorType } from '../../../contract/errors';
import type { ChannelDeliverer, ChannelKind, ChannelSpec } from '../../../contract/notifications';
import type { DeliveryActivities } from '../../../contract/notification-activities';
import type { AttemptResult, ChannelRecord, DeliveryRecord } from '../../../catalog/notifications';
import { channelSecretContext } from '../../../catalog/notifications';
import type { Catalog } from '../../../catalog/catalog';
import type { SecretBox } from '../../../core/secrets';
import type { Logger } from '../../../core/logger';
import { withFailureMapping } from '../../shared/failure';
import { buildMessage, type MessageFacts } from './message';
import { deliverOnce } from './deliver-once';

/** What the activities read and write: the catalog in production, an in-memory one in workflow tests. */
export interface DeliveryStore {
  delivery(id: number): Promise<DeliveryRecord>;
  /** The channel with its sealed secrets (null without any). */
  channel(id: number): Promise<{ channel: ChannelRecord; secretsSealed: string | null }>;
  /** What the message says: the run, its job and repository as the catalog has them now. */
  facts(d: DeliveryRecord): Promise<MessageFacts>;
  recordAttempt(id: number, r: AttemptResult): Promise<void>;
  markFailed(id: number, reason: string): Promise<void>;
}

/** The store on the catalog. */
export function catalogDeliveryStore(catalog: Catalog): DeliveryStore {
  const n = catalog.notifications;
  return {
    delivery: (id) => n.getDelivery(id),
    channel: async (id) => ({ channel: await n.getChannel(id), secretsSealed: await n.channelSecrets(id) }),
    facts: (d) => messageFacts(catalog, d),
    recordAttempt: (id, r) => n.recordAttempt(id, r),
    markFailed: (id, reason) => n.markFailed(id, reason),
  };
}

/** The run, job and repository a delivery is about, read now (names as they are at delivery). */
export async function messageFacts(catalog: Catalog, d: Pick<DeliveryRecord, 'event' | 'runId' | 'occurredAt' | 'subject'>): Promise<MessageFacts> {
  const run = d.runId ? await catalog.runs.get(d.runId) : null;
  const jobId = run?.jobId ?? (typeof d.subject?.jobId === 'number' ? d.subject.jobId : null);
  const job = jobId !== null ? await catalog.jobs.get(jobId).catch(() => null) : null;
  const repositoryId = run?.repositoryId ?? job?.repositoryId ?? null;
  const repository = repositoryId !== null ? await catalog.repositories.get(repositoryId).catch(() => null) : null;
  return {
    event: d.event,
    occurredAt: d.occurredAt,
    run,
    job: job ? { id: job.id, name: job.name } : null,
    repository: repository ? { id: repository.id, name: repository.name } : null,
    agent: typeof d.subject?.agent === 'string' ? d.subject.agent : null,
  };
}

/** The channel as its deliverer gets it: settings as stored, secrets opened. */
export function channelSpec(channel: ChannelRecord, secretsSealed: string | null, box: SecretBox): ChannelSpec {
  // Sealed by the API from a request's `secrets`, which the spec makes a map of strings.
  const secrets: Record<string, string> = secretsSealed ? JSON.parse(box.open(secretsSealed, channelSecretContext(channel.id))) : {};
  return { kind: channel.kind, settings: channel.settings, secrets };
}

export interface DeliveryDeps {
  store: DeliveryStore;
  secrets: SecretBox;
  deliverers: Record<ChannelKind, ChannelDeliverer>;
  logger: Logger;
}

export function createDeliveryActivities(deps: DeliveryDeps): DeliveryActivities {
  const { store, logger } = deps;

  async function deliverNotification(input: { deliveryId: number; timeoutMs: number }): Promise<void> {
    const ctx = Context.current();
    const attempt = ctx.info.attempt;
    const d = await store.delivery(input.deliveryId);
    // An earlier attempt got through and only its completion was lost: never send twice.
    if (d.status === 'delivered') return;
    if (d.status === 'failed') throw new BackstopError(ErrorType.input, d.lastError ?? 'delivery failed');
    const { channel, secretsSealed } = await store.channel(d.channelId);
    const spec = channelSpec(channel, secretsSealed, deps.secrets);
    const message = buildMessage(await store.facts(d));
    try {
      const answer = await deliverOnce(deps.deliverers[channel.kind], spec, message, { signal: ctx.cancellationSignal, timeoutMs: input.timeoutMs });
      await store.recordAttempt(d.id, { outcome: 'delivered', attempt, answer });
      logger.info({ deliveryId: d.id, channel: channel.name, event: d.event, runId: d.runId, attempt }, 'notification delivered');
    } catch (err) {
      // deliverOnce throws only redacted BackstopErrors.
      const e = err as BackstopError;
      await store.recordAttempt(d.id, { outcome: e.retryable ? 'retrying' : 'failed', attempt, error: e.message });
      logger.warn({ deliveryId: d.id, channel: channel.name, event: d.event, runId: d.runId, attempt, reason: e.message }, 'notification not delivered');
      throw e;
    }
  }

  async function giveUpDelivery(input: { deliveryId: number; reason: string }): Promise<void> {
    await store.markFailed(input.deliveryId, input.reason);
  }

  return withFailureMapping({ deliverNotification, giveUpDelivery });
}
