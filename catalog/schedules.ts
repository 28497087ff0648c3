// The schedules aggregate: the catalog's record of each Temporal Schedule (the catalog is the
// source of truth; api/schedules.ts makes Temporal match it).
import type { NormalizedSchedule } from '../core/schedule';
import type { ScheduleKind } from '../contract/names';
import type { Session } from './db';
import { affected, iso, numOrNull, one, orNull, type Row } from './rows';

/** A schedule as the catalog keeps it; `id` is the Temporal Schedule id. */
export interface ScheduleRecord {
  id: string;
  kind: ScheduleKind;
  jobId: number | null;
  repositoryId: number | null;
  definition: NormalizedSchedule;
  paused: boolean;
  note: string | null;
  updatedAt?: string;
  /** A backup schedule of a guest job (issue 19): its action starts the guest backup's workflow. Read, never written. */
  guestJob?: boolean;
}

// --- rows ----------------------------------------------------------------------------
export const scheduleFromRow = (r: Row): ScheduleRecord => ({
  id: String(r.id),
  kind: r.kind as ScheduleKind,
  jobId: numOrNull(r.job_id),
  repositoryId: numOrNull(r.repository_id),
  definition: r.definition as NormalizedSchedule,
  paused: Boolean(r.paused),
  note: orNull<string>(r.note),
  updatedAt: iso(r.updated_at),
  ...(r.job_kind === 'guest' ? { guestJob: true } : {}),
});

/** Every read of a schedule carries its job's kind (a job's kind never changes). */
const WITH_JOB_KIND = `(SELECT j.kind FROM jobs j WHERE j.id = schedules.job_id) AS job_kind`;

// --- queries -------------------------------------------------------------------------
export class Schedules {
  constructor(private readonly s: Session) {}

  /** Creates or replaces a schedule's definition; a replaced one keeps its paused state. */
  async upsert(s: Omit<ScheduleRecord, 'paused' | 'note' | 'updatedAt'>): Promise<ScheduleRecord> {
    const { rows } = await this.s.q.query(
      `INSERT INTO schedules (id, kind, job_id, repository_id, definition) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET definition = EXCLUDED.definition, updated_at = now()
       RETURNING *, ${WITH_JOB_KIND}`,
      [s.id, s.kind, s.jobId, s.repositoryId, JSON.stringify(s.definition)],
    );
    return scheduleFromRow(rows[0]!);
  }

  async find(id: string): Promise<ScheduleRecord | null> {
    const { rows } = await this.s.q.query(`SELECT *, ${WITH_JOB_KIND} FROM schedules WHERE id = $1`, [id]);
    return rows[0] ? scheduleFromRow(rows[0]) : null;
  }

  async list(): Promise<ScheduleRecord[]> {
    const { rows } = await this.s.q.query(`SELECT *, ${WITH_JOB_KIND} FROM schedules ORDER BY id`);
    return rows.map(scheduleFromRow);
  }

  /** Returns false when there was none. */
  async delete(id: string): Promise<boolean> {
    return affected(await this.s.q.query('DELETE FROM schedules WHERE id = $1', [id])) > 0;
  }

  async setPaused(id: string, paused: boolean, note: string | null): Promise<ScheduleRecord> {
    const { rows } = await this.s.q.query(`UPDATE schedules SET paused = $2, note = $3, updated_at = now() WHERE id = $1 RETURNING *, ${WITH_JOB_KIND}`, [id, paused, note]);
    return scheduleFromRow(one(rows, `schedule ${id}`));
  }
}
