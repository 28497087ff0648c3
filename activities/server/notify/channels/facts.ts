// What every kind shows beside the title and text: the facts of the message as label/value
// pairs, in one order, so an e-mail, a Slack context line and Discord's embed fields say the
// same thing.
import type { NotificationMessage } from '../../../../contract/notifications';

export type Fact = [label: string, value: string];

export function messageFacts(m: NotificationMessage): Fact[] {
  const facts: Fact[] = [['Event', m.event]];
  if (m.job) facts.push(['Job', `${m.job.name} (#${m.job.id})`]);
  if (m.agent) facts.push(['Agent', m.agent.name]);
  if (m.repository) facts.push(['Repository', `${m.repository.name} (#${m.repository.id})`]);
  if (m.run) {
    facts.push(['Run', `${m.run.id} (${m.run.kind}, ${m.run.status})`]);
    if (m.run.snapshotId) facts.push(['Snapshot', m.run.snapshotId]);
    if (m.run.warnings > 0) facts.push(['Warnings', String(m.run.warnings)]);
  }
  facts.push(['Occurred', m.occurredAt]);
  return facts;
}

/** The facts as plain-text lines ("Job: home (#4)"). */
export function factLines(m: NotificationMessage): string {
  return messageFacts(m)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
}

/** Cuts `s` to `max` characters (the service's documented limit), marking the cut. */
export function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Cuts `s` to at most `maxBytes` bytes of UTF-8 (never inside a character), marking the cut. */
export function truncateBytes(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s, 'utf8') <= maxBytes) return s;
  const mark = '…';
  const cut = Buffer.from(s, 'utf8').subarray(0, maxBytes - Buffer.byteLength(mark, 'utf8'));
  // A multi-byte character cut in half decodes as U+FFFD: drop it.
  return `${cut.toString('utf8').replace(/\uFFFD+$/, '')}${mark}`;
}
