// Where an agent gets repository secrets at the moment a step needs them. Secrets never
// travel through workflow history: the workflow hands the agent a repository id only.
import { BackstopError, ErrorType, ForbiddenError, NotFoundError, UnauthorizedError } from '../../contract/errors';
import type { AgentHttp } from './api-http';
import { ENGINE_KINDS, type EngineKind, type SshAccess } from '../../contract/engine';

export interface SecretSource {
  repositoryPassword(repositoryId: number): Promise<string>;
  /** The password and the backend environment (S3 keys of a repository on S3). */
  repositoryAccess(repositoryId: number): Promise<RepositorySecrets>;
}

/** Everything of a repository's access but its location (which the run's plan carries). */
export interface RepositorySecrets {
  password: string;
  env: Record<string, string>;
  engine?: EngineKind;
  appendOnly?: boolean;
  ssh?: SshAccess;
}

/** Asks the API as this agent (certificate or token); the API hands out only this agent's secrets. */
export class ApiSecretSource implements SecretSource {
  constructor(private readonly http: AgentHttp) {}

  async repositoryPassword(repositoryId: number): Promise<string> {
    return (await this.repositoryAccess(repositoryId)).password;
  }

  async repositoryAccess(repositoryId: number): Promise<RepositorySecrets> {
    const res = await this.http.request('GET', `/v1/agent/repositories/${repositoryId}/secret`).catch((e: Error) => {
      throw new BackstopError(ErrorType.engine, `cannot reach the API for repository secrets: ${e.message}`);
    });
    if (res.status === 401) throw new UnauthorizedError('the agent\'s credentials were refused by the API');
    // A repository backed up in pull mode: its password stays on the server (the API says so).
    if (res.status === 403) throw new ForbiddenError(problemDetail(res.text) ?? `the API keeps repository ${repositoryId}'s password from this agent`);
    if (res.status === 404) throw new NotFoundError(`repository ${repositoryId} not found or not used by this agent`);
    if (!res.ok) throw new BackstopError(ErrorType.engine, `API answered ${res.status} for repository secrets`);
    const body = JSON.parse(res.text) as { password?: unknown; env?: unknown; engine?: unknown; appendOnly?: unknown; ssh?: { privateKey?: unknown; knownHosts?: unknown } };
    if (typeof body.password !== 'string') throw new BackstopError(ErrorType.engine, 'API returned no password');
    const env: Record<string, string> = {};
    if (body.env && typeof body.env === 'object') {
      for (const [k, v] of Object.entries(body.env as Record<string, unknown>)) if (typeof v === 'string') env[k] = v;
    }
    const engine = ENGINE_KINDS.find((k) => k === body.engine);
    const ssh = body.ssh && typeof body.ssh.privateKey === 'string' && typeof body.ssh.knownHosts === 'string' ? { privateKey: body.ssh.privateKey, knownHosts: body.ssh.knownHosts } : undefined;
    return { password: body.password, env, ...(engine ? { engine } : {}), ...(body.appendOnly === true ? { appendOnly: true } : {}), ...(ssh ? { ssh } : {}) };
  }
}

/** The `detail` of a problem+json answer, if it has one. */
function problemDetail(text: string): string | null {
  try {
    const body = JSON.parse(text) as { detail?: unknown };
    return typeof body.detail === 'string' ? body.detail : null;
  } catch {
    return null;
  }
}
