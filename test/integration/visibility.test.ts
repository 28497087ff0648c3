// Run visibility on the real stack: the run log (hooks and engine, redacted, paged and
// tailed live over SSE), runs filtered and cursor-paged, the progress query while a backup
// runs, search attributes queried through Temporal visibility, and job health.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { problemOf } from '../support/problem';
import { writeRandomFiles } from '../support/random-files';
import { writeSampleTree } from '../../workers/embedded/sample';
import { SseParser, type SseEvent } from '../../core/sse';
import type { ApiRun, ApiRunLogLine } from '../../core/api-client';
import type { RunLogEntry } from '../../contract/run-log';
import { removeWorkDir } from '../support/work-dir';

jest.setTimeout(300_000);

let pg: Postgres;
let stack: Stack;
let work: string;
let small: string;
const PASSWORD = 'visibility-test-passphrase-42';

/** ~48 MiB of incompressible files: with restic capped at 4 MiB/s the engine runs ~12 s. */
function writeBigDataset(dir: string): void {
  writeRandomFiles(dir, 12, 4 * 1024 * 1024);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-visibility-'));
  small = join(work, 'small');
  writeSampleTree(small, 20);
  pg = await startPostgres();
  // A slow engine leaves time to watch a backup run. `exec` keeps restic's own PID and
  // command line (the run tag), as the agent expects.
  const slowRestic = join(work, 'restic-4mibs');
  writeFileSync(slowRestic, '#!/bin/sh\nexec restic --limit-upload 4096 "$@"\n', { mode: 0o755 });
  // Heartbeats (the engine's progress) are throttled to 80% of the heartbeat timeout: a short
  // one makes progress visible within seconds.
  stack = await startStack({ databaseUrl: pg.url, env: { BACKSTOP_RESTIC: slowRestic, BACKSTOP_ENGINE_HEARTBEAT_TIMEOUT_MS: '4000' } });
});

afterAll(async () => {
  await stack?.stop();
  await pg?.stop();
  // Last: every process that wrote there has stopped.
  removeWorkDir(work);
});

async function allLogLines(runId: string): Promise<ApiRunLogLine[]> {
  const out: ApiRunLogLine[] = [];
  for (let after = 0; ; ) {
    const page = await stack.api.runLog(runId, { afterSeq: after, limit: 2 });
    if (page.items.length === 0) return out;
    out.push(...page.items);
    after = page.nextAfterSeq;
  }
}

/** A raw SSE request: every event until the server closes the stream. */
async function readStream(runId: string, headers: Record<string, string> = {}): Promise<SseEvent[]> {
  const res = await stack.api.raw(`/v1/runs/${runId}/log/stream`, headers);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const parser = new SseParser();
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  for await (const chunk of res.body!) events.push(...parser.feed(decoder.decode(chunk as Uint8Array, { stream: true })));
  return events;
}

describe('the run log', () => {
  let job: { id: number };
  let run: ApiRun;

  beforeAll(async () => {
    const repo = await stack.api.createRepository({ name: 'log', url: join(work, 'repo-log'), password: PASSWORD });
    job = await stack.api.createJob({
      name: 'log',
      agent: 'local',
      repositoryId: repo.id,
      paths: [small],
      preScript: 'echo "pre: dumping the database"; echo "pre: disk almost full" >&2',
      // The post hook knows the password (say, from a file it should not print): it must not reach the catalog.
      postHook: `echo "post: done, success=$BACKSTOP_RUN_SUCCESS"; echo "post: leaking ${PASSWORD} by mistake"; echo "RESTIC_PASSWORD=hunter2-is-not-it"`,
    });
    const { runId } = await stack.api.runJob(job.id);
    run = await stack.api.waitForRun(runId, { timeoutMs: 120_000 });
    expect(run.status).toBe('succeeded');
  });

  it('keeps what the pre script and post hook printed, in order, with their step and stream', async () => {
    const lines = await allLogLines(run.id);
    const hookLines = lines.filter((l) => l.step === 'pre-script' || l.step === 'post-hook').map((l) => [l.step, l.stream, l.line]);
    expect(hookLines).toEqual([
      ['pre-script', 'stdout', 'pre: dumping the database'],
      ['pre-script', 'stderr', 'pre: disk almost full'],
      ['post-hook', 'stdout', 'post: done, success=true'],
      ['post-hook', 'stdout', 'post: leaking [redacted] by mistake'],
      ['post-hook', 'stdout', 'RESTIC_PASSWORD=[redacted]'],
    ]);
    // seq orders the run's lines; times are real timestamps; every line is from attempt 1.
    expect(lines.map((l) => l.seq)).toEqual([...lines.map((l) => l.seq)].sort((a, b) => a - b));
    for (const l of lines) {
      expect(Date.parse(l.at)).not.toBeNaN();
      expect(l.attempt).toBe(1);
    }
  });

  it('never stores the repository password', async () => {
    const { rows } = await stack.catalog.db.query<{ line: string }>('SELECT line FROM run_log WHERE run_id = $1', [run.id]);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.line).not.toContain(PASSWORD);
  });

  it('resumes a finished run\'s stream after Last-Event-ID and ends it', async () => {
    const lines = await allLogLines(run.id);
    const events = await readStream(run.id, { 'last-event-id': String(lines[0]!.seq) });
    const sent = events.filter((e) => e.event === 'line').map((e) => JSON.parse(e.data) as ApiRunLogLine);
    expect(sent.map((l) => l.seq)).toEqual(lines.slice(1).map((l) => l.seq));
    expect(events.filter((e) => e.event === 'line').map((e) => Number(e.id))).toEqual(sent.map((l) => l.seq));
    expect(events.at(-1)).toMatchObject({ event: 'end' });
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ status: 'succeeded' });
  });

  it('takes lines from an agent only for its own runs', async () => {
    const other = await stack.catalog.identity.createToken({ name: 'other agent', scope: 'agent', agentName: 'elsewhere' });
    const post = (token: string) =>
      fetch(`${stack.api.baseUrl}/v1/agent/runs/${run.id}/log`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ lines: [{ source: 'x', attempt: 1, n: 0, at: new Date().toISOString(), step: 'post-hook', stream: 'stdout', line: 'forged' }] }),
      });
    expect((await post(other)).status).toBe(404);
    const bad = await fetch(`${stack.api.baseUrl}/v1/agent/runs/${run.id}/log`, {
      method: 'POST',
      headers: { authorization: `Bearer ${other}`, 'content-type': 'application/json' },
      body: JSON.stringify({ lines: [{ line: 'no fields' }] }),
    });
    expect(bad.status).toBe(400);
    expect((await allLogLines(run.id)).map((l) => l.line)).not.toContain('forged');
  });

  it('sets the search attributes, so Temporal visibility finds the run by job and outcome', async () => {
    const query = `BackstopJobId='${job.id}' AND BackstopOutcome='succeeded' AND BackstopKind='backup' AND BackstopAgent='local'`;
    const found = await waitFor('the run in Temporal visibility', async () => {
      const ids: string[] = [];
      for await (const wf of stack.temporal.workflow.list({ query })) ids.push(wf.workflowId);
      return ids.includes(run.workflowId) ? ids : null;
    }, 60_000, 500);
    expect(found).toEqual([run.workflowId]);
    const failedOnes: string[] = [];
    for await (const wf of stack.temporal.workflow.list({ query: `BackstopJobId='${job.id}' AND BackstopOutcome='failed'` })) failedOnes.push(wf.workflowId);
    expect(failedOnes).toEqual([]);
  });

  it('reports the job\'s health: last success, no schedule so never stale', async () => {
    const j = (await stack.api.request<{ health: unknown }>('GET', `/v1/jobs/${job.id}`)).health;
    // No drill has run yet: no proof, but not stale before the job's first week is out.
    expect(j).toEqual({ lastSuccessAt: run.finishedAt, lastFailureAt: null, lastRunStatus: 'succeeded', nextRunAt: null, stale: false, lastDrill: null, lastDrillPassAt: null, drillStale: false });
    expect((await stack.api.listJobsWithHealth(true)).map((x) => x.id)).not.toContain(job.id);
    expect((await stack.api.listJobsWithHealth(false)).map((x) => x.id)).toContain(job.id);
    expect((await problemOf(stack.api.request('GET', '/v1/jobs?stale=yes'))).status).toBe(400);
  });
});

describe('the run log in the catalog', () => {
  const entry = (source: string, attempt: number, n: number): RunLogEntry => ({ source, attempt, n, at: new Date().toISOString(), step: 'engine', stream: 'stdout', line: `${source}#${attempt}:${n}` });
  const newRun = async () => {
    const id = randomUUID();
    await stack.catalog.runs.insert({ id, workflowId: `test/${id}`, kind: 'backup' });
    return id;
  };

  it('stores a batch sent twice once, and a retried attempt\'s lines beside the first\'s', async () => {
    const runId = await newRun();
    const batch = [entry('5', 1, 0), entry('5', 1, 1)];
    expect(await stack.catalog.runLog.append(runId, batch)).toBe(2);
    expect(await stack.catalog.runLog.append(runId, batch)).toBe(0);
    expect(await stack.catalog.runLog.append(runId, [entry('5', 2, 0)])).toBe(1);
    const lines = await stack.catalog.runLog.read(runId, 0, 100);
    expect(lines.map((l) => [l.line, l.attempt])).toEqual([['5#1:0', 1], ['5#1:1', 1], ['5#2:0', 2]]);
    expect(lines[0]!.seq).toBeLessThan(lines[1]!.seq);
  });

  it('keeps at most the limit, the last slot saying the rest was dropped', async () => {
    const runId = await newRun();
    expect(await stack.catalog.runLog.append(runId, Array.from({ length: 8 }, (_, i) => entry('1', 1, i)), 5)).toBe(5);
    expect(await stack.catalog.runLog.append(runId, [entry('1', 1, 8)], 5)).toBe(0);
    const lines = await stack.catalog.runLog.read(runId, 0, 100);
    expect(lines.map((l) => l.line)).toEqual(['1#1:0', '1#1:1', '1#1:2', '1#1:3', expect.stringMatching(/log limit of 5 lines/)]);
  });
});

describe('GET /v1/runs', () => {
  const runs: ApiRun[] = [];
  let jobA: number;
  let failed: ApiRun;

  beforeAll(async () => {
    const repo = await stack.api.createRepository({ name: 'pages', url: join(work, 'repo-pages'), password: PASSWORD });
    jobA = (await stack.api.createJob({ name: 'pages-a', agent: 'local', repositoryId: repo.id, paths: [small] })).id;
    const jobB = (await stack.api.createJob({ name: 'pages-b', agent: 'local', repositoryId: repo.id, paths: [join(work, 'missing')] })).id;
    for (let i = 0; i < 3; i++) runs.push(await stack.api.waitForRun((await stack.api.runJob(jobA)).runId, { timeoutMs: 120_000 }));
    failed = await stack.api.waitForRun((await stack.api.runJob(jobB)).runId, { timeoutMs: 120_000 });
    expect(failed.status).toBe('failed');
  });

  it('pages with a cursor, newest first, and later runs do not shift the pages', async () => {
    const first = await stack.api.listRunsPage({ jobId: jobA, limit: 2 });
    expect(first.items.map((r) => r.id)).toEqual([runs[2]!.id, runs[1]!.id]);
    expect(first.nextCursor).toEqual(expect.any(String));
    // A new run starts between the pages: it belongs before page one, not into page two.
    const extra = await stack.api.runJob(jobA);
    const second = await stack.api.listRunsPage({ jobId: jobA, limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((r) => r.id)).toEqual([runs[0]!.id]);
    expect(second.nextCursor).toBeNull();
    expect((await stack.api.listRunsPage({ jobId: jobA, limit: 10 })).items[0]!.id).toBe(extra.runId);
    await stack.api.waitForRun(extra.runId, { timeoutMs: 120_000 });
  });

  it('filters by agent, kind, status and start time', async () => {
    const failedOnes = await stack.api.listRunsPage({ agent: 'local', kind: 'backup', status: 'failed', limit: 50 });
    expect(failedOnes.items.map((r) => r.id)).toContain(failed.id);
    expect(failedOnes.items.every((r) => r.status === 'failed')).toBe(true);
    expect((await stack.api.listRunsPage({ agent: 'nobody' })).items).toEqual([]);
    expect((await stack.api.listRunsPage({ kind: 'prune' })).items).toEqual([]);

    const window = await stack.api.listRunsPage({ jobId: jobA, since: runs[1]!.startedAt, until: runs[2]!.startedAt });
    expect(window.items.map((r) => r.id)).toEqual([runs[1]!.id]);
  });

  it('answers 400 to a cursor it did not hand out and to bad filters', async () => {
    for (const q of ['cursor=bm90LWEtY3Vyc29y', 'status=sleeping', 'since=yesterday', 'agent=Bad Name', 'color=blue', 'since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z']) {
      const p = await problemOf(stack.api.request('GET', `/v1/runs?${q}`));
      expect([q, p.status]).toEqual([q, 400]);
    }
  });
});

describe('a running backup', () => {
  it('answers the progress query, and its log streams live until it ends', async () => {
    const big = join(work, 'big');
    writeBigDataset(big);
    const repo = await stack.api.createRepository({ name: 'live', url: join(work, 'repo-live'), password: PASSWORD });
    const job = await stack.api.createJob({
      name: 'live',
      agent: 'local',
      repositoryId: repo.id,
      paths: [big],
      preScript: 'for i in 1 2 3; do echo "pre line $i"; done',
      postHook: 'echo "post line"',
    });
    const { runId } = await stack.api.runJob(job.id);

    // The tail: every line, and the run's status when the first one arrived.
    const received: ApiRunLogLine[] = [];
    let statusAtFirstLine: Promise<string> | undefined;
    const tail = stack.api.followRunLog(runId, (l) => {
      received.push(l);
      statusAtFirstLine ??= stack.api.getRun(runId).then((r) => r.status);
    });

    // While restic works, GET /runs/{id} combines the workflow's step with the engine's heartbeat.
    const live = await waitFor('the engine step with progress', async () => {
      const r = await stack.api.getRun(runId);
      if (r.status !== 'running' && r.status !== 'queued') throw new Error(`run ended early: ${r.status} ${r.failureReason}`);
      return r.live?.step === 'engine' && r.live.progress && r.live.progress.bytesDone > 0 ? r.live : null;
    }, 120_000, 200);
    // The shared repository lock may be granted at once or after a moment's wait.
    expect(live.stepsDone.filter((s) => s !== 'waiting-for-lock')).toEqual(['preparing', 'pre-script', 'snapshot']);
    expect(Date.parse(live.stepStartedAt)).not.toBeNaN();
    expect(live.progress!.bytesTotal).toBeGreaterThan(0);

    const status = await tail;
    expect(status).toBe('succeeded');
    expect(await statusAtFirstLine).toBe('running');
    expect(received.map((l) => l.line)).toEqual(expect.arrayContaining(['pre line 1', 'pre line 2', 'pre line 3', 'post line']));
    expect(received.map((l) => l.seq)).toEqual((await allLogLines(runId)).map((l) => l.seq));

    const done = await stack.api.getRun(runId);
    expect(done).toMatchObject({ status: 'succeeded', live: null, progress: null });
  });
});
