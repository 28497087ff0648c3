// The run-log aggregate (table run_log, migration 006): the lines of each run, in seq order.
// Lines arrive redacted and bounded (catalog/run-log-writer.ts does both).
import { admitLines, RUN_LOG_MAX_LINES, type RunLogEntry, type RunLogLine, type RunLogStream } from '../contract/run-log';
import type { Session } from './db';
import { affected, iso, type Row } from './rows';

/** Written once when a run reaches the line limit. */
export const LIMIT_MARKER_SOURCE = 'backstop';

/** The line written once when a run reaches the limit. */
export const limitMarkerLine = (maxLines: number): string => `[backstop] this run reached the log limit of ${maxLines} lines; later lines are not kept`;

// --- rows ----------------------------------------------------------------------------
export const runLogLineFromRow = (r: Row): RunLogLine => ({
  seq: Number(r.seq),
  at: iso(r.at),
  step: String(r.step),
  stream: r.stream as RunLogStream,
  line: String(r.line),
  attempt: Number(r.attempt),
});

// --- queries -------------------------------------------------------------------------
export class RunLog {
  constructor(private readonly s: Session) {}

  /**
   * Appends lines to a run's log in one transaction. The run's state row is locked first, so
   * concurrent appends to one run commit in seq order (a tail reading `seq > last` never
   * misses a line). Lines already stored (same source, attempt and index) are skipped.
   * Returns how many lines were stored.
   */
  async append(runId: string, entries: RunLogEntry[], maxLines = RUN_LOG_MAX_LINES): Promise<number> {
    if (entries.length === 0) return 0;
    return this.s.transaction(async (tx) => {
      const { rows } = await tx.query<{ next_seq: string; lines: number }>(
        `INSERT INTO run_log_state (run_id) VALUES ($1)
         ON CONFLICT (run_id) DO UPDATE SET run_id = EXCLUDED.run_id
         RETURNING next_seq, lines`,
        [runId],
      );
      let nextSeq = Number(rows[0]!.next_seq);
      const stored = rows[0]!.lines;
      const { take, markLimit } = admitLines(stored, entries.length, maxLines);
      const batch = entries.slice(0, take);
      let inserted = 0;
      if (batch.length > 0) {
        const r = await tx.query(
          `INSERT INTO run_log (run_id, seq, at, step, stream, line, source, attempt, n)
           SELECT $1, $2::bigint + o - 1, at, step, stream, line, source, attempt, n
             FROM unnest($3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::int[])
                  WITH ORDINALITY AS t(at, step, stream, line, source, attempt, n, o)
           ON CONFLICT DO NOTHING`,
          [
            runId,
            nextSeq,
            batch.map((e) => e.at),
            batch.map((e) => e.step),
            batch.map((e) => e.stream),
            batch.map((e) => e.line),
            batch.map((e) => e.source),
            batch.map((e) => e.attempt),
            batch.map((e) => e.n),
          ],
        );
        inserted = affected(r);
        nextSeq += batch.length;
      }
      if (markLimit) {
        const last = entries[take] ?? entries.at(-1)!;
        const r = await tx.query(
          `INSERT INTO run_log (run_id, seq, at, step, stream, line, source, attempt, n)
           VALUES ($1, $2, now(), $3, 'stderr', $4, $5, 1, 0) ON CONFLICT DO NOTHING`,
          [runId, nextSeq, last.step, limitMarkerLine(maxLines), LIMIT_MARKER_SOURCE],
        );
        inserted += affected(r);
        nextSeq += 1;
      }
      await tx.query('UPDATE run_log_state SET next_seq = $2, lines = lines + $3 WHERE run_id = $1', [runId, nextSeq, inserted]);
      return inserted;
    });
  }

  /** At most `limit` lines after `afterSeq`, in order. */
  async read(runId: string, afterSeq: number, limit: number): Promise<RunLogLine[]> {
    const { rows } = await this.s.q.query(`SELECT seq, at, step, stream, line, attempt FROM run_log WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, [
      runId,
      afterSeq,
      limit,
    ]);
    return rows.map(runLogLineFromRow);
  }
}
