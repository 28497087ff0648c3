// The one way lines enter the run log: bounded, then redacted with the run's own secrets
// (its repository's password and S3 keys, its sync target's keys) and the generic patterns,
// then appended. The API uses it for lines agents send; the server worker for its own.
import type { Pool } from 'pg';
import type { SecretBox } from '../core/secrets';
import { parseS3Credentials, repositoryS3Context, repositorySyncContext } from '../core/s3';
import { redact } from '../core/redact';
import { boundLine, type RunLogEntry } from '../contract/run-log';
import { appendRunLog } from './run-log';

const SECRETS_TTL_MS = 60_000;

export class RunLogWriter {
  private readonly cache = new Map<string, { secrets: string[]; until: number }>();

  constructor(
    private readonly pool: Pool,
    private readonly box: SecretBox,
    private readonly maxLines?: number,
  ) {}

  /** Stores the lines; returns how many were new. */
  async write(runId: string, entries: RunLogEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    const secrets = await this.runSecrets(runId);
    const clean = entries.map((e) => ({ ...e, line: redact(boundLine(e.line), secrets) }));
    return appendRunLog(this.pool, runId, clean, this.maxLines);
  }

  /** Every secret a line of this run could contain; cached briefly, as a run flushes every second. */
  async runSecrets(runId: string): Promise<string[]> {
    const hit = this.cache.get(runId);
    if (hit && hit.until > Date.now()) return hit.secrets;
    const { rows } = await this.pool.query<{ id: string; password_sealed: string; s3_sealed: string | null; credentials_sealed: string | null }>(
      `SELECT p.id, p.password_sealed, p.s3_sealed, t.credentials_sealed
         FROM runs r JOIN repositories p ON p.id = r.repository_id
         LEFT JOIN repository_sync_targets t ON t.repository_id = p.id
        WHERE r.id = $1`,
      [runId],
    );
    const secrets: string[] = [];
    for (const r of rows) {
      const id = Number(r.id);
      secrets.push(this.box.open(r.password_sealed, `repository:${id}`));
      for (const [sealed, context] of [[r.s3_sealed, repositoryS3Context(id)], [r.credentials_sealed, repositorySyncContext(id)]] as const) {
        if (!sealed) continue;
        const c = parseS3Credentials(this.box.open(sealed, context));
        secrets.push(c.accessKeyId, c.secretAccessKey);
      }
    }
    if (this.cache.size > 1_000) this.cache.clear();
    this.cache.set(runId, { secrets, until: Date.now() + SECRETS_TTL_MS });
    return secrets;
  }
}
