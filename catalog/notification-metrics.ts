// Failed notification deliveries per channel, for /metrics (tables of migration 015).
import type { Queryable } from './db';

export interface NotificationFailureRow {
  /** The channel's name (operator-chosen, never a secret: secrets are sealed apart). */
  channel: string;
  kind: string;
  failed: number;
}

export async function notificationDeliveryFailures(q: Queryable): Promise<NotificationFailureRow[]> {
  // Every channel, zeros too: increase() needs a series before the first failure.
  const { rows } = await q.query(
    `SELECT c.name AS channel, c.kind, count(d.id) FILTER (WHERE d.status = 'failed')::bigint AS failed
       FROM notification_channels c LEFT JOIN notification_deliveries d ON d.channel_id = c.id
      GROUP BY c.id, c.name, c.kind ORDER BY c.name`,
  );
  return rows.map((r) => ({ channel: String(r.channel), kind: String(r.kind), failed: Number(r.failed) }));
}
