// The server-side script library and the scripts each job runs before and after a backup.
import type { Queryable } from './db';
import { ConflictError, NotFoundError } from '../core/errors';
import type { components } from '../api/generated/schema';

/** A script as stored: the API's Script, one shape. */
export type ScriptRecord = components['schemas']['Script'];

export interface ScriptWrite {
  name: string;
  description: string | null;
  body: string;
  timeoutSeconds: number;
}

export type ScriptPhase = 'pre' | 'post';

type Row = Record<string, unknown>;
const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));
const UNIQUE_VIOLATION = '23505';

const toScript = (r: Row): ScriptRecord => ({
  id: Number(r.id),
  name: String(r.name),
  description: (r.description as string | null) ?? null,
  body: String(r.body),
  timeoutSeconds: Number(r.timeout_seconds),
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

function rethrowName(err: unknown, name: string): never {
  if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw new ConflictError(`a script named "${name}" already exists`);
  throw err;
}

export async function insertScript(q: Queryable, s: ScriptWrite): Promise<number> {
  try {
    const { rows } = await q.query<{ id: string }>('INSERT INTO scripts (name, description, body, timeout_seconds) VALUES ($1, $2, $3, $4) RETURNING id', [
      s.name,
      s.description,
      s.body,
      s.timeoutSeconds,
    ]);
    return Number(rows[0]!.id);
  } catch (err) {
    rethrowName(err, s.name);
  }
}

export async function updateScript(q: Queryable, id: number, s: ScriptWrite): Promise<void> {
  try {
    const { rowCount } = await q.query('UPDATE scripts SET name = $2, description = $3, body = $4, timeout_seconds = $5, updated_at = now() WHERE id = $1', [
      id,
      s.name,
      s.description,
      s.body,
      s.timeoutSeconds,
    ]);
    if (!rowCount) throw new NotFoundError(`script ${id} not found`);
  } catch (err) {
    rethrowName(err, s.name);
  }
}

export async function getScript(q: Queryable, id: number): Promise<ScriptRecord> {
  const { rows } = await q.query('SELECT * FROM scripts WHERE id = $1', [id]);
  if (!rows[0]) throw new NotFoundError(`script ${id} not found`);
  return toScript(rows[0]);
}

export async function listScripts(q: Queryable): Promise<ScriptRecord[]> {
  const { rows } = await q.query('SELECT * FROM scripts ORDER BY id');
  return rows.map(toScript);
}

export async function jobsUsingScript(q: Queryable, id: number): Promise<Array<{ id: number; name: string }>> {
  const { rows } = await q.query('SELECT DISTINCT j.id, j.name FROM job_scripts js JOIN jobs j ON j.id = js.job_id WHERE js.script_id = $1 ORDER BY j.id', [id]);
  return rows.map((r: Row) => ({ id: Number(r.id), name: String(r.name) }));
}

export async function deleteScript(q: Queryable, id: number): Promise<void> {
  const { rowCount } = await q.query('DELETE FROM scripts WHERE id = $1', [id]);
  if (!rowCount) throw new NotFoundError(`script ${id} not found`);
}

export async function setJobScripts(q: Queryable, jobId: number, scripts: { pre: number[]; post: number[] }): Promise<void> {
  await q.query('DELETE FROM job_scripts WHERE job_id = $1', [jobId]);
  for (const phase of ['pre', 'post'] as const) {
    for (const [position, scriptId] of scripts[phase].entries()) {
      await q.query('INSERT INTO job_scripts (job_id, script_id, phase, position) VALUES ($1, $2, $3, $4)', [jobId, scriptId, phase, position]);
    }
  }
}

export async function jobScripts(q: Queryable, jobId: number): Promise<{ pre: ScriptRecord[]; post: ScriptRecord[] }> {
  const { rows } = await q.query('SELECT s.*, js.phase FROM job_scripts js JOIN scripts s ON s.id = js.script_id WHERE js.job_id = $1 ORDER BY js.phase, js.position', [jobId]);
  return {
    pre: rows.filter((r: Row) => r.phase === 'pre').map(toScript),
    post: rows.filter((r: Row) => r.phase === 'post').map(toScript),
  };
}
