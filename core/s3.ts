// S3 credentials as Backstop stores and hands them out: sealed as one JSON document under
// the master key, opened only where a process talks to S3, passed to tools only in their
// environment. No Node imports: the types are shared with the API and the activities.
import { InputError } from '../contract/errors';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Most S3-compatible services ignore it; AWS needs the bucket's region. */
  region?: string | null;
}

/** The sealing context of a repository's own S3 keys (restic's s3 backend). */
export const repositoryS3Context = (repositoryId: number): string => `repository-s3:${repositoryId}`;
/** The sealing context of the keys of a repository's S3 sync target. */
export const repositorySyncContext = (repositoryId: number): string => `repository-sync:${repositoryId}`;

export function serializeS3Credentials(c: S3Credentials): string {
  return JSON.stringify({ accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, region: c.region ?? null });
}

export function parseS3Credentials(json: string): S3Credentials {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    throw new InputError('stored S3 credentials are not valid JSON');
  }
  const o = (v ?? {}) as Record<string, unknown>;
  if (typeof o.accessKeyId !== 'string' || typeof o.secretAccessKey !== 'string') throw new InputError('stored S3 credentials are incomplete');
  return { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey, region: typeof o.region === 'string' ? o.region : null };
}

/** The environment restic's s3 backend reads (and the AWS SDK under it). */
export function resticS3Env(c: S3Credentials): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: c.accessKeyId,
    AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
    AWS_DEFAULT_REGION: c.region ?? 'us-east-1',
  };
}
