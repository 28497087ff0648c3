// The one way lines enter the run log: bounded, then redacted with the run's own secrets
// (its repository's password and S3 keys, its sync target's keys) and the generic patterns,
// then appended. The API uses it for lines agents send; the server worker for its own.
import { backendSecretValues, parseBackendSecrets, repositoryBackendContext } from '../core/repository-backend';
import type { SecretBox } from '../core/secrets';
import { parseS3Credentials, repositoryS3Context, repositorySyncContext } from '../core/s3';
import { redact } from '../core/redact';
import { boundLine, type RunLogEntry } from '../contract/run-log';
import type { CatalogScope } from './catalog';

const SECRETS_TTL_MS = 60_000;

export class RunLogWriter {
  private readonly cache = new Map<string, { secrets: string[]; until: number }>();

  constructor(
    private readonly catalog: CatalogScope,
    private readonly box: SecretBox,
    private readonly maxLines?: number,
  ) {}

  /** Stores the lines; returns how many were new. */
  async write(runId: string, entries: RunLogEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    const secrets = await this.runSecrets(runId);
    const clean = entries.map((e) => ({ ...e, line: redact(boundLine(e.line), secrets) }));
    return this.catalog.runLog.append(runId, clean, this.maxLines);
  }

  /** Every secret a line of this run could contain; cached briefly, as a run flushes every second. */
  async runSecrets(runId: string): Promise<string[]> {
    const hit = this.cache.get(runId);
    if (hit && hit.until > Date.now()) return hit.secrets;
    const secrets: string[] = [];
    for (const r of await this.catalog.repositories.secretsOfRun(runId)) {
      const id = r.repositoryId;
      secrets.push(this.box.open(r.passwordSealed, `repository:${id}`));
      for (const [sealed, context] of [[r.s3Sealed, repositoryS3Context(id)], [r.syncCredentialsSealed, repositorySyncContext(id)]] as const) {
        if (!sealed) continue;
        const c = parseS3Credentials(this.box.open(sealed, context));
        secrets.push(c.accessKeyId, c.secretAccessKey);
      }
      if (r.backendSealed) secrets.push(...backendSecretValues(parseBackendSecrets(this.box.open(r.backendSealed, repositoryBackendContext(id)))));
    }
    if (this.cache.size > 1_000) this.cache.clear();
    this.cache.set(runId, { secrets, until: Date.now() + SECRETS_TTL_MS });
    return secrets;
  }
}
