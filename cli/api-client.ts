// A small typed client for the REST API, used by the CLI, `up` and the tests.
import type { components } from '../api/generated/schema';

type Schemas = components['schemas'];
export type ApiRun = Schemas['Run'];
export type ApiJob = Schemas['Job'];
export type ApiRepository = Schemas['Repository'];
export type ApiSnapshot = Schemas['Snapshot'];
export type ApiAgent = Schemas['Agent'];
export type ApiProblem = Schemas['Problem'];

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: ApiProblem | null,
  ) {
    super(problem ? `${problem.title} (${status}): ${problem.detail ?? ''}` : `API answered ${status}`);
  }
}

const TERMINAL = new Set(['succeeded', 'warning', 'failed', 'cancelled']);

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) {
      let problem: ApiProblem | null = null;
      try {
        problem = JSON.parse(text) as ApiProblem;
      } catch {
        /* not a problem document */
      }
      throw new ApiError(res.status, problem);
    }
    // 204 No Content has no body to parse.
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  health = () => this.request<{ status: string; version: string }>('GET', '/v1/health');
  listAgents = () => this.request<{ items: ApiAgent[] }>('GET', '/v1/agents').then((r) => r.items);
  listRepositories = () => this.request<{ items: ApiRepository[] }>('GET', '/v1/repositories').then((r) => r.items);
  createRepository = (r: Schemas['RepositoryCreate']) => this.request<ApiRepository>('POST', '/v1/repositories', r);
  listJobs = () => this.request<{ items: ApiJob[] }>('GET', '/v1/jobs').then((r) => r.items);
  createJob = (j: Schemas['JobCreate']) => this.request<ApiJob>('POST', '/v1/jobs', j);
  /** With `idempotencyKey`, a retried request never starts a second run. */
  runJob = (id: number, opts: { idempotencyKey?: string } = {}) =>
    this.request<Schemas['RunAccepted']>('POST', `/v1/jobs/${id}/run`, undefined, opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {});
  cancelRun = (runId: string, note?: string) => this.request<ApiRun>('POST', `/v1/runs/${runId}/cancel`, note === undefined ? undefined : { note });
  getRun = (id: string) => this.request<ApiRun>('GET', `/v1/runs/${id}`);
  listRuns = (jobId?: number) => this.request<{ items: ApiRun[] }>('GET', `/v1/runs${jobId ? `?jobId=${jobId}` : ''}`).then((r) => r.items);
  putS3SyncTarget = (repositoryId: number, t: Schemas['S3SyncTargetSet']) =>
    this.request<Schemas['S3SyncTarget']>('PUT', `/v1/repositories/${repositoryId}/s3-sync`, t);
  getS3SyncTarget = (repositoryId: number) => this.request<Schemas['S3SyncTarget']>('GET', `/v1/repositories/${repositoryId}/s3-sync`);
  deleteS3SyncTarget = (repositoryId: number) => this.request<void>('DELETE', `/v1/repositories/${repositoryId}/s3-sync`);
  runS3Sync = (repositoryId: number) => this.request<Schemas['RunAccepted']>('POST', `/v1/repositories/${repositoryId}/sync`);
  pruneRepository = (repositoryId: number) => this.request<Schemas['RunAccepted']>('POST', `/v1/repositories/${repositoryId}/prune`);
  previewRetention = (jobId: number) => this.request<Schemas['RetentionPreview']>('POST', `/v1/jobs/${jobId}/retention/preview`);
  setJobRetention = (jobId: number, retention: Schemas['RetentionPolicy'] | null) => this.request<ApiJob>('PUT', `/v1/jobs/${jobId}/retention`, { retention });
  listSnapshots = (jobId?: number) =>
    this.request<{ items: ApiSnapshot[] }>('GET', `/v1/snapshots${jobId ? `?jobId=${jobId}` : ''}`).then((r) => r.items);
  restoreSnapshot = (id: string, r: Schemas['RestoreRequest'] = {}) => this.request<Schemas['RunAccepted']>('POST', `/v1/snapshots/${id}/restore`, r);
  approveRun = (runId: string, note?: string) => this.request<Schemas['ApprovalAccepted']>('POST', `/v1/runs/${runId}/approve`, note === undefined ? undefined : { note });
  rejectRun = (runId: string, note?: string) => this.request<Schemas['ApprovalAccepted']>('POST', `/v1/runs/${runId}/reject`, note === undefined ? undefined : { note });
  snapshotTree = (id: string, opts: { path?: string; limit?: number; cursor?: string } = {}) => {
    const q = new URLSearchParams(Object.entries(opts).filter(([, v]) => v !== undefined).map(([k, v]): [string, string] => [k, String(v)]));
    return this.request<Schemas['SnapshotTree']>('GET', `/v1/snapshots/${id}/tree${q.size ? `?${q}` : ''}`);
  };

  /** One file of a snapshot, as the raw HTTP response (the body is a stream). */
  async snapshotFile(id: string, path: string): Promise<Response> {
    const res = await fetch(`${this.baseUrl}/v1/snapshots/${id}/file?path=${encodeURIComponent(path)}`, { headers: { authorization: `Bearer ${this.token}` } });
    if (!res.ok) throw new ApiError(res.status, (await res.json().catch(() => null)) as ApiProblem | null);
    return res;
  }

  async waitUntilHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.health();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`API at ${this.baseUrl} not healthy: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  }

  async waitForAgent(name: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.listAgents()).some((a) => a.name === name)) {
      if (Date.now() > deadline) throw new Error(`agent ${name} did not register within ${timeoutMs / 1000}s`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  /** Polls until the run ends; `onUpdate` sees every state, live progress included. */
  async waitForRun(id: string, opts: { timeoutMs?: number; pollMs?: number; onUpdate?: (r: ApiRun) => void } = {}): Promise<ApiRun> {
    const deadline = Date.now() + (opts.timeoutMs ?? 30 * 60_000);
    for (;;) {
      const run = await this.getRun(id);
      opts.onUpdate?.(run);
      if (TERMINAL.has(run.status)) return run;
      if (Date.now() > deadline) throw new Error(`run ${id} still ${run.status} after ${(opts.timeoutMs ?? 0) / 1000}s`);
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
    }
  }
}
