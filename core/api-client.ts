// A small typed client for the REST API, used by the CLI, `up` and the tests.
import type { components } from '../contract/generated/api-schema';
import { SseParser } from './sse';

type Schemas = components['schemas'];
export type ApiRun = Schemas['Run'];
export type ApiJob = Schemas['Job'];
export type ApiRepository = Schemas['Repository'];
export type ApiSnapshot = Schemas['Snapshot'];
export type ApiAgent = Schemas['Agent'];
export type ApiProblem = Schemas['Problem'];
export type ApiSchedule = Schemas['Schedule'];
export type RepositoryScheduleKind = 'prune' | 's3-sync';
export type ApiRunLogLine = Schemas['RunLogLine'];
export type ApiAgentToken = Schemas['AgentToken'];
export type ApiAgentTokenRequest = Schemas['AgentTokenRequest'];

/** GET /v1/runs filters; every field optional. */
export interface RunListFilter {
  jobId?: number;
  repositoryId?: number;
  kind?: Schemas['RunKind'];
  agent?: string;
  status?: Schemas['RunStatus'];
  since?: string;
  until?: string;
  cursor?: string;
  limit?: number;
}

const queryString = (o: object) => {
  const q = new URLSearchParams(Object.entries(o).filter(([, v]) => v !== undefined).map(([k, v]): [string, string] => [k, String(v)]));
  return q.size ? `?${q}` : '';
};

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
  updateRepository = (id: number, r: Schemas['RepositoryUpdate']) => this.request<ApiRepository>('PATCH', `/v1/repositories/${id}`, r);
  deleteRepository = (id: number) => this.request<void>('DELETE', `/v1/repositories/${id}`);
  listJobs = () => this.request<{ items: ApiJob[] }>('GET', '/v1/jobs').then((r) => r.items);
  createJob = (j: Schemas['JobCreate']) => this.request<ApiJob>('POST', '/v1/jobs', j);
  updateJob = (id: number, j: Schemas['JobUpdate']) => this.request<ApiJob>('PATCH', `/v1/jobs/${id}`, j);
  deleteJob = (id: number) => this.request<void>('DELETE', `/v1/jobs/${id}`);
  /** With `idempotencyKey`, a retried request never starts a second run. */
  runJob = (id: number, opts: { idempotencyKey?: string } = {}) =>
    this.request<Schemas['RunAccepted']>('POST', `/v1/jobs/${id}/run`, undefined, opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {});
  cancelRun = (runId: string, note?: string) => this.request<ApiRun>('POST', `/v1/runs/${runId}/cancel`, note === undefined ? undefined : { note });
  getRun = (id: string) => this.request<ApiRun>('GET', `/v1/runs/${id}`);
  listRuns = (jobId?: number) => this.request<{ items: ApiRun[] }>('GET', `/v1/runs${jobId ? `?jobId=${jobId}` : ''}`).then((r) => r.items);
  listRunsPage = (filter: RunListFilter = {}) => this.request<{ items: ApiRun[]; nextCursor: string | null }>('GET', `/v1/runs${queryString(filter)}`);
  runLog = (runId: string, opts: { afterSeq?: number; limit?: number } = {}) => this.request<Schemas['RunLogPage']>('GET', `/v1/runs/${runId}/log${queryString(opts)}`);
  listJobsWithHealth = (stale?: boolean) => this.request<{ items: ApiJob[] }>('GET', `/v1/jobs${queryString({ stale })}`).then((r) => r.items);

  /**
   * Follows a run's log live (Server-Sent Events) until the run ends; returns its status.
   * Reconnects after a dropped connection, resuming after the last line seen.
   */
  async followRunLog(runId: string, onLine: (l: ApiRunLogLine) => void, opts: { afterSeq?: number; signal?: AbortSignal } = {}): Promise<string> {
    let last = opts.afterSeq ?? 0;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.raw(`/v1/runs/${runId}/log/stream`, { accept: 'text/event-stream', 'last-event-id': String(last) }, opts.signal);
        if (!res.ok || !res.body) throw new ApiError(res.status, (await res.json().catch(() => null)) as ApiProblem | null);
        const parser = new SseParser();
        const decoder = new TextDecoder();
        for await (const chunk of res.body) {
          for (const e of parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }))) {
            if (e.event === 'line') {
              const line = JSON.parse(e.data) as ApiRunLogLine;
              last = line.seq;
              onLine(line);
            } else if (e.event === 'end') return (JSON.parse(e.data) as { status: string }).status;
          }
        }
      } catch (err) {
        if (err instanceof ApiError || opts.signal?.aborted || attempt >= 10) throw err;
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  putS3SyncTarget = (repositoryId: number, t: Schemas['S3SyncTargetSet']) =>
    this.request<Schemas['S3SyncTarget']>('PUT', `/v1/repositories/${repositoryId}/s3-sync`, t);
  getS3SyncTarget = (repositoryId: number) => this.request<Schemas['S3SyncTarget']>('GET', `/v1/repositories/${repositoryId}/s3-sync`);
  deleteS3SyncTarget = (repositoryId: number) => this.request<void>('DELETE', `/v1/repositories/${repositoryId}/s3-sync`);
  runS3Sync = (repositoryId: number) => this.request<Schemas['RunAccepted']>('POST', `/v1/repositories/${repositoryId}/sync`);
  pruneRepository = (repositoryId: number) => this.request<Schemas['RunAccepted']>('POST', `/v1/repositories/${repositoryId}/prune`);
  checkRepository = (repositoryId: number) => this.request<Schemas['RunAccepted']>('POST', `/v1/repositories/${repositoryId}/check`);
  runJobDrill = (jobId: number, body: Schemas['DrillRequest'] = {}) => this.request<Schemas['RunAccepted']>('POST', `/v1/jobs/${jobId}/drill`, body);
  getJobDrill = (jobId: number, nextRuns?: number) => this.request<Schemas['JobDrill']>('GET', `/v1/jobs/${jobId}/drill${nextRuns ? `?nextRuns=${nextRuns}` : ''}`);
  setJobDrill = (jobId: number, body: Schemas['DrillSettingsSet']) => this.request<Schemas['JobDrill']>('PUT', `/v1/jobs/${jobId}/drill`, body);
  setJobDrillSchedulePaused = (jobId: number, paused: boolean, note?: string) =>
    this.request<ApiSchedule>('POST', `/v1/jobs/${jobId}/drill/schedule/${paused ? 'pause' : 'resume'}`, note === undefined ? undefined : { note });
  previewRetention = (jobId: number) => this.request<Schemas['RetentionPreview']>('POST', `/v1/jobs/${jobId}/retention/preview`);
  setJobRetention = (jobId: number, retention: Schemas['RetentionPolicy'] | null) => this.request<ApiJob>('PUT', `/v1/jobs/${jobId}/retention`, { retention });
  getJob = (id: number, nextRuns?: number) => this.request<ApiJob>('GET', `/v1/jobs/${id}${nextRuns ? `?nextRuns=${nextRuns}` : ''}`);
  setJobSchedule = (jobId: number, s: Schemas['ScheduleSet']) => this.request<ApiSchedule>('PUT', `/v1/jobs/${jobId}/schedule`, s);
  deleteJobSchedule = (jobId: number) => this.request<void>('DELETE', `/v1/jobs/${jobId}/schedule`);
  setJobSchedulePaused = (jobId: number, paused: boolean, note?: string) =>
    this.request<ApiSchedule>('POST', `/v1/jobs/${jobId}/schedule/${paused ? 'pause' : 'resume'}`, note === undefined ? undefined : { note });
  triggerJobSchedule = (jobId: number) => this.request<Schemas['ScheduleAccepted']>('POST', `/v1/jobs/${jobId}/schedule/trigger`);
  backfillJobSchedule = (jobId: number, b: Schemas['ScheduleBackfill']) => this.request<Schemas['ScheduleAccepted']>('POST', `/v1/jobs/${jobId}/schedule/backfill`, b);
  setRepositorySchedule = (id: number, kind: RepositoryScheduleKind, s: Schemas['ScheduleSet']) => this.request<ApiSchedule>('PUT', `/v1/repositories/${id}/schedules/${kind}`, s);
  getRepositorySchedule = (id: number, kind: RepositoryScheduleKind) => this.request<ApiSchedule>('GET', `/v1/repositories/${id}/schedules/${kind}`);
  deleteRepositorySchedule = (id: number, kind: RepositoryScheduleKind) => this.request<void>('DELETE', `/v1/repositories/${id}/schedules/${kind}`);
  setRepositorySchedulePaused = (id: number, kind: RepositoryScheduleKind, paused: boolean, note?: string) =>
    this.request<ApiSchedule>('POST', `/v1/repositories/${id}/schedules/${kind}/${paused ? 'pause' : 'resume'}`, note === undefined ? undefined : { note });
  triggerRepositorySchedule = (id: number, kind: RepositoryScheduleKind) => this.request<Schemas['ScheduleAccepted']>('POST', `/v1/repositories/${id}/schedules/${kind}/trigger`);
  listSnapshots = (jobId?: number) =>
    this.request<{ items: ApiSnapshot[] }>('GET', `/v1/snapshots${jobId ? `?jobId=${jobId}` : ''}`).then((r) => r.items);
  restoreSnapshot = (id: string, r: Schemas['RestoreRequest'] = {}) => this.request<Schemas['RunAccepted']>('POST', `/v1/snapshots/${id}/restore`, r);
  restoreGuestSnapshot = (id: string, r: Schemas['GuestRestoreRequest']) => this.request<Schemas['RunAccepted']>('POST', `/v1/snapshots/${id}/guest-restore`, r);
  exportGuestDisk = (id: string, disk: string, r: Schemas['GuestDiskExportRequest']) => this.request<Schemas['GuestDiskExport']>('POST', `/v1/snapshots/${id}/guest-disks/${encodeURIComponent(disk)}/export`, r);
  guestDiskExport = (id: string, disk: string, exportId: string, waitSeconds = 0) => this.request<Schemas['GuestDiskExport']>('GET', `/v1/snapshots/${id}/guest-disks/${encodeURIComponent(disk)}/export/${exportId}?waitSeconds=${waitSeconds}`);
  releaseGuestDiskExport = (id: string, disk: string, exportId: string, waitSeconds = 60) => this.request<Schemas['GuestDiskExport']>('DELETE', `/v1/snapshots/${id}/guest-disks/${encodeURIComponent(disk)}/export/${exportId}?waitSeconds=${waitSeconds}`);
  restoreContainerSnapshot = (id: string, r: Schemas['ContainerRestoreRequest']) => this.request<Schemas['RunAccepted']>('POST', `/v1/snapshots/${id}/container-restore`, r);
  approveRun = (runId: string, note?: string) => this.request<Schemas['ApprovalAccepted']>('POST', `/v1/runs/${runId}/approve`, note === undefined ? undefined : { note });
  rejectRun = (runId: string, note?: string) => this.request<Schemas['ApprovalAccepted']>('POST', `/v1/runs/${runId}/reject`, note === undefined ? undefined : { note });
  mountSnapshot = (id: string, r: Schemas['SnapshotMountRequest'] = {}) => this.request<Schemas['SnapshotMount']>('POST', `/v1/snapshots/${id}/mount`, r);
  /** Counts as use of the mount; waits up to `waitSeconds` for a starting mount to be up. */
  snapshotMount = (id: string, waitSeconds = 0) => this.request<Schemas['SnapshotMount']>('GET', `/v1/snapshots/${id}/mount?waitSeconds=${waitSeconds}`);
  unmountSnapshot = (id: string, waitSeconds = 60) => this.request<Schemas['SnapshotMount']>('DELETE', `/v1/snapshots/${id}/mount?waitSeconds=${waitSeconds}`);
  mountGuestDisk = (id: string, disk: string, r: Schemas['SnapshotMountRequest'] = {}) => this.request<Schemas['GuestDiskMount']>('POST', `/v1/snapshots/${id}/guest-disks/${encodeURIComponent(disk)}/mount`, r);
  /** Counts as use; `waitSeconds` waits (bounded) for a starting mount to be up. */
  guestDiskMount = (id: string, disk: string, waitSeconds = 0) => this.request<Schemas['GuestDiskMount']>('GET', `/v1/snapshots/${id}/guest-disks/${encodeURIComponent(disk)}/mount?waitSeconds=${waitSeconds}`);
  unmountGuestDisk = (id: string, disk: string, waitSeconds = 60) => this.request<Schemas['GuestDiskMount']>('DELETE', `/v1/snapshots/${id}/guest-disks/${encodeURIComponent(disk)}/mount?waitSeconds=${waitSeconds}`);
  snapshotTree = (id: string, opts: { path?: string; limit?: number; cursor?: string } = {}) => {
    const q = new URLSearchParams(Object.entries(opts).filter(([, v]) => v !== undefined).map(([k, v]): [string, string] => [k, String(v)]));
    return this.request<Schemas['SnapshotTree']>('GET', `/v1/snapshots/${id}/tree${q.size ? `?${q}` : ''}`);
  };

  /** A GET with the token, as the raw response (streamed bodies, status checks). */
  raw(path: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, { headers: { authorization: `Bearer ${this.token}`, ...headers }, signal });
  }

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
    // Registered: seen at least once (enrollment alone records the name, not a running agent).
    while (!(await this.listAgents()).some((a) => a.name === name && a.lastSeenAt !== null)) {
      if (Date.now() > deadline) throw new Error(`agent ${name} did not register within ${timeoutMs / 1000}s`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  createAgentToken(req: ApiAgentTokenRequest): Promise<ApiAgentToken & { token: string; caFingerprint: string }> {
    return this.request('POST', '/v1/agent-tokens', req);
  }

  async listAgentTokens(): Promise<ApiAgentToken[]> {
    return (await this.request<{ items: ApiAgentToken[] }>('GET', '/v1/agent-tokens')).items;
  }

  revokeAgentToken(id: number): Promise<ApiAgentToken> {
    return this.request('POST', `/v1/agent-tokens/${id}/revoke`);
  }

  revokeAgent(name: string): Promise<ApiAgent> {
    return this.request('POST', `/v1/agents/${encodeURIComponent(name)}/revoke`);
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
