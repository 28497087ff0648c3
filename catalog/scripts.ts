// The scripts aggregate: the server-side script library and the scripts each job runs
// before and after a backup.
import { NotFoundError } from '../contract/errors';
import type { Session } from './db';
import { iso, jobRefFromRow, one, orNull, rethrowUnique, type Row } from './rows';
import type { components } from '../contract/generated/api-schema';

/** A script as stored: the API's Script, one shape. */
export type ScriptRecord = components['schemas']['Script'];

export interface ScriptWrite {
  name: string;
  description: string | null;
  body: string;
  timeoutSeconds: number;
}

// --- rows ----------------------------------------------------------------------------
export const scriptFromRow = (r: Row): ScriptRecord => ({
  id: Number(r.id),
  name: String(r.name),
  description: orNull<string>(r.description),
  body: String(r.body),
  timeoutSeconds: Number(r.timeout_seconds),
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

const nameTaken = (name: string) => `a script named "${name}" already exists`;

// --- queries -------------------------------------------------------------------------
export class Scripts {
  constructor(private readonly s: Session) {}

  async insert(s: ScriptWrite): Promise<number> {
    try {
      const { rows } = await this.s.q.query<{ id: string }>('INSERT INTO scripts (name, description, body, timeout_seconds) VALUES ($1, $2, $3, $4) RETURNING id', [
        s.name,
        s.description,
        s.body,
        s.timeoutSeconds,
      ]);
      return Number(rows[0]!.id);
    } catch (err) {
      rethrowUnique(err, nameTaken(s.name));
    }
  }

  async update(id: number, s: ScriptWrite): Promise<void> {
    try {
      const { rowCount } = await this.s.q.query('UPDATE scripts SET name = $2, description = $3, body = $4, timeout_seconds = $5, updated_at = now() WHERE id = $1', [
        id,
        s.name,
        s.description,
        s.body,
        s.timeoutSeconds,
      ]);
      if (!rowCount) throw new NotFoundError(`script ${id} not found`);
    } catch (err) {
      rethrowUnique(err, nameTaken(s.name));
    }
  }

  async get(id: number): Promise<ScriptRecord> {
    const { rows } = await this.s.q.query('SELECT * FROM scripts WHERE id = $1', [id]);
    return scriptFromRow(one(rows, `script ${id}`));
  }

  async list(): Promise<ScriptRecord[]> {
    const { rows } = await this.s.q.query('SELECT * FROM scripts ORDER BY id');
    return rows.map(scriptFromRow);
  }

  async jobsUsing(id: number): Promise<Array<{ id: number; name: string }>> {
    const { rows } = await this.s.q.query('SELECT DISTINCT j.id, j.name FROM job_scripts js JOIN jobs j ON j.id = js.job_id WHERE js.script_id = $1 ORDER BY j.id', [id]);
    return rows.map(jobRefFromRow);
  }

  async delete(id: number): Promise<void> {
    const { rowCount } = await this.s.q.query('DELETE FROM scripts WHERE id = $1', [id]);
    if (!rowCount) throw new NotFoundError(`script ${id} not found`);
  }

  /** Replaces a job's scripts with these, in this order per phase. */
  async setOfJob(jobId: number, scripts: { pre: number[]; post: number[] }): Promise<void> {
    await this.s.q.query('DELETE FROM job_scripts WHERE job_id = $1', [jobId]);
    for (const phase of ['pre', 'post'] as const) {
      for (const [position, scriptId] of scripts[phase].entries()) {
        await this.s.q.query('INSERT INTO job_scripts (job_id, script_id, phase, position) VALUES ($1, $2, $3, $4)', [jobId, scriptId, phase, position]);
      }
    }
  }

  async ofJob(jobId: number): Promise<{ pre: ScriptRecord[]; post: ScriptRecord[] }> {
    const { rows } = await this.s.q.query('SELECT s.*, js.phase FROM job_scripts js JOIN scripts s ON s.id = js.script_id WHERE js.job_id = $1 ORDER BY js.phase, js.position', [jobId]);
    return {
      pre: rows.filter((r) => r.phase === 'pre').map(scriptFromRow),
      post: rows.filter((r) => r.phase === 'post').map(scriptFromRow),
    };
  }
}
