// Prometheus metrics on the real stack: the API's /metrics (computed from the catalog) after a
// backup that succeeds and one that fails, the Temporal SDK's exporters on both workers, and
// every metric the alert rules in deploy/prometheus/ name present in a real scrape.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Stack } from '../support/stack';
import { freePort } from '../support/ports';
import { waitFor } from '../support/wait';
import { metricNamesOf, parseScrape, sampleValue, scrapedNames } from '../support/prometheus';
import { writeSampleTree } from '../../workers/embedded/sample';
import type { ApiRun } from '../../core/api-client';

jest.setTimeout(240_000);

const TOKEN = 'metrics-scrape-token';
const PASSWORD = 'correct horse battery staple';
const PROMETHEUS_DIR = join(__dirname, '..', '..', 'deploy', 'prometheus');
// Once a year (Jan 1, 03:00 UTC): the jobs have a schedule, so they can be stale, that never
// fires while the test runs.
const YEARLY = { cron: ['0 3 1 1 *'] };

let pg: Postgres;
let stack: Stack;
let ports: { api: number; server: number; agent: number };
let ok: { jobId: number; repositoryId: number; run: ApiRun };
let failing: { jobId: number; run: ApiRun };

const scrape = async (port: number, token?: string) => fetch(`http://127.0.0.1:${port}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
const scrapeText = async (port: number, token?: string) => {
  const res = await scrape(port, token);
  if (res.status !== 200) throw new Error(`scrape of :${port} answered ${res.status}`);
  return res.text();
};

beforeAll(async () => {
  pg = await startPostgres();
  ports = { api: await freePort(), server: await freePort(), agent: await freePort() };
  stack = await startStack({
    databaseUrl: pg.url,
    env: { BACKSTOP_METRICS_LISTEN: `127.0.0.1:${ports.api}`, BACKSTOP_METRICS_TOKEN: TOKEN },
    componentEnv: {
      'server-worker': { BACKSTOP_TEMPORAL_METRICS_LISTEN: `127.0.0.1:${ports.server}` },
      agent: { BACKSTOP_TEMPORAL_METRICS_LISTEN: `127.0.0.1:${ports.agent}` },
    },
  });
  const work = mkdtempSync(join(tmpdir(), 'backstop-metrics-'));
  const source = join(work, 'source');
  writeSampleTree(source, 20);
  const repo = await stack.api.createRepository({ name: 'metrics', url: join(work, 'repo'), password: PASSWORD });
  const good = await stack.api.createJob({ name: 'metrics-ok', agent: 'local', repositoryId: repo.id, paths: [source], schedule: YEARLY });
  const bad = await stack.api.createJob({ name: 'metrics failing', agent: 'local', repositoryId: repo.id, paths: [join(work, 'nope')], schedule: YEARLY });
  // A job made five years ago that never succeeded is stale under a yearly schedule (more
  // than 2 intervals): age it in the catalog rather than wait for it.
  await stack.catalog.db.query("UPDATE jobs SET created_at = now() - interval '5 years' WHERE id = $1", [bad.id]);
  const [goodRun, badRun] = await Promise.all([stack.api.runJob(good.id), stack.api.runJob(bad.id)]);
  ok = { jobId: good.id, repositoryId: repo.id, run: await stack.api.waitForRun(goodRun.runId, { timeoutMs: 120_000 }) };
  failing = { jobId: bad.id, run: await stack.api.waitForRun(badRun.runId, { timeoutMs: 120_000 }) };
});

afterAll(async () => {
  await stack?.stop();
  await pg?.stop();
});

describe('the API’s /metrics', () => {
  it('asks for its own token, not an API token', async () => {
    expect((await scrape(ports.api)).status).toBe(401);
    expect((await scrape(ports.api, 'wrong')).status).toBe(401);
    const apiToken = await stack.catalog.identity.createToken({ name: 'metrics test admin', scope: 'admin' });
    expect((await scrape(ports.api, apiToken)).status).toBe(401);
    expect((await scrape(ports.api, TOKEN)).status).toBe(200);
  });

  it('reports the runs the catalog recorded: last success, outcomes, staleness, snapshots, agent up', async () => {
    expect(ok.run.status).toBe('succeeded');
    expect(failing.run.status).toBe('failed');
    const samples = parseScrape(await scrapeText(ports.api, TOKEN));
    const okJob = { job_id: String(ok.jobId) };
    const badJob = { job_id: String(failing.jobId) };

    expect(sampleValue(samples, 'backstop_job_last_success_timestamp_seconds', { ...okJob, job_name: 'metrics-ok' })).toBeCloseTo(Date.parse(ok.run.finishedAt!) / 1000, 3);
    expect(sampleValue(samples, 'backstop_job_last_success_timestamp_seconds', badJob)).toBeUndefined();
    // The label value comes back as the operator wrote the name, quotes and all.
    expect(sampleValue(samples, 'backstop_job_last_failure_timestamp_seconds', { ...badJob, job_name: 'metrics failing' })).toBeCloseTo(Date.parse(failing.run.finishedAt!) / 1000, 3);
    expect(sampleValue(samples, 'backstop_job_last_run_failed', okJob)).toBe(0);
    expect(sampleValue(samples, 'backstop_job_last_run_failed', badJob)).toBe(1);

    // Staleness is GET /v1/jobs's own.
    const health = new Map((await stack.api.listJobsWithHealth()).map((j) => [j.id, j.health!.stale]));
    expect(health.get(ok.jobId)).toBe(false);
    expect(health.get(failing.jobId)).toBe(true);
    expect(sampleValue(samples, 'backstop_job_stale', okJob)).toBe(0);
    expect(sampleValue(samples, 'backstop_job_stale', badJob)).toBe(1);

    expect(sampleValue(samples, 'backstop_runs_total', { kind: 'backup', outcome: 'succeeded' })).toBe(1);
    expect(sampleValue(samples, 'backstop_runs_total', { kind: 'backup', outcome: 'failed' })).toBe(1);
    expect(sampleValue(samples, 'backstop_runs_total', { kind: 'restore', outcome: 'succeeded' })).toBe(0);
    expect(sampleValue(samples, 'backstop_runs_active', { kind: 'backup', status: 'running' })).toBe(0);

    const succeeded = { kind: 'backup', outcome: 'succeeded' };
    const seconds = (Date.parse(ok.run.finishedAt!) - Date.parse(ok.run.startedAt)) / 1000;
    expect(sampleValue(samples, 'backstop_run_duration_seconds_count', succeeded)).toBe(1);
    expect(sampleValue(samples, 'backstop_run_duration_seconds_bucket', { ...succeeded, le: '+Inf' })).toBe(1);
    expect(sampleValue(samples, 'backstop_run_duration_seconds_sum', succeeded)).toBeCloseTo(seconds, 2);
    expect(sampleValue(samples, 'backstop_run_added_bytes_sum', succeeded)).toBe(ok.run.stats!.dataAdded);
    // A failed backup stored nothing and reports no stats: no bytes series for it.
    expect(sampleValue(samples, 'backstop_run_added_bytes_count', { kind: 'backup', outcome: 'failed' })).toBeUndefined();

    const repo = { repository_id: String(ok.repositoryId), repository: 'metrics' };
    expect(sampleValue(samples, 'backstop_repository_snapshots', repo)).toBe(1);
    expect(sampleValue(samples, 'backstop_repository_added_bytes', repo)).toBe(ok.run.stats!.dataAdded);
    expect(sampleValue(samples, 'backstop_agent_up', { agent: 'local' })).toBe(1);
    expect(sampleValue(samples, 'backstop_restores_awaiting_approval')).toBe(0);
  });

  it('counts failed notification deliveries per channel, zero for a channel that never failed', async () => {
    const n = stack.catalog.notifications;
    const failing = await n.insertChannel(await n.nextChannelId(), { name: 'ops-hook', kind: 'webhook', settings: { url: 'http://127.0.0.1:1/hook' }, secretFields: [] }, null);
    await n.insertChannel(await n.nextChannelId(), { name: 'quiet-hook', kind: 'webhook', settings: { url: 'http://127.0.0.1:1/quiet' }, secretFields: [] }, null);
    const delivery = await n.recordDelivery({ runId: null, channelId: failing.id, event: 'agent.unreachable', workflowId: 'notify/metrics-test/agent.unreachable/1', occurredAt: new Date().toISOString() });
    await n.markFailed(delivery.id, 'refused: 404');
    const samples = parseScrape(await scrapeText(ports.api, TOKEN));
    expect(sampleValue(samples, 'backstop_notification_delivery_failures_total', { channel: 'ops-hook', channel_kind: 'webhook' })).toBe(1);
    expect(sampleValue(samples, 'backstop_notification_delivery_failures_total', { channel: 'quiet-hook', channel_kind: 'webhook' })).toBe(0);
  });

  it('puts no secret and no run id in the scrape', async () => {
    const text = await scrapeText(ports.api, TOKEN);
    for (const secret of [PASSWORD, TOKEN, stack.masterKey, ok.run.id, failing.run.id, ok.run.workflowId]) expect(text).not.toContain(secret);
  });

  it('passes promtool’s lint of the exposition format', async () => {
    const text = await scrapeText(ports.api, TOKEN);
    const lint = promisify(execFile)('promtool', ['check', 'metrics']);
    lint.child.stdin!.end(text);
    const { stdout, stderr } = await lint;
    expect(`${stdout}${stderr}`).toBe('');
  });
});

describe('the Temporal SDK’s metrics on the workers', () => {
  // The exporters record a series once its first event happened: the runs above gave both
  // workers tasks, but the scrape may come before the exporter's next collection.
  const sdkScrape = (port: number, name: string) =>
    waitFor(`${name} on :${port}`, async () => {
      const samples = parseScrape(await scrapeText(port));
      return samples.some((s) => s.name === name) ? samples : null;
    });

  it('exports the server worker’s workflow task latency', async () => {
    const samples = await sdkScrape(ports.server, 'temporal_workflow_task_schedule_to_start_latency_bucket');
    expect(samples.find((s) => s.name === 'temporal_workflow_task_schedule_to_start_latency_count')?.labels).toMatchObject({ backstop_process: 'server-worker', task_queue: 'backstop.server' });
  });

  it('exports the agent’s activity metrics', async () => {
    const samples = await sdkScrape(ports.agent, 'temporal_activity_execution_latency_count');
    expect(samples.filter((s) => s.name === 'temporal_activity_execution_latency_count').every((s) => s.labels.backstop_process === 'agent' && s.labels.task_queue === 'agent.local')).toBe(true);
  });
});

describe('the alert rules in deploy/prometheus', () => {
  it('reads metric names out of PromQL', () => {
    expect(metricNamesOf('histogram_quantile(0.95, sum by (le, instance) (rate(a_bucket{x="y(z)"}[10m]))) > 5')).toEqual(['a_bucket']);
    expect(metricNamesOf('increase(b_total{kind=~"prune|check"}[1d]) > 0 and on(instance) up offset 5m')).toEqual(['b_total', 'up']);
  });

  it('name only metrics a real scrape has', async () => {
    const scraped = new Set<string>([
      ...scrapedNames(await scrapeText(ports.api, TOKEN)),
      ...(await waitFor('workflow task latency', async () => {
        const names = scrapedNames(await scrapeText(ports.server));
        return names.has('temporal_workflow_task_schedule_to_start_latency_bucket') ? names : null;
      })),
      // Made by Prometheus itself for every target.
      'up',
    ]);
    const rules = parse(readFileSync(join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
    const named = rules.groups.flatMap((g) => g.rules.map((r) => ({ alert: r.alert, names: metricNamesOf(r.expr) })));
    expect(named.length).toBeGreaterThanOrEqual(8);
    for (const { alert, names } of named) {
      expect(names.length).toBeGreaterThan(0);
      expect({ alert, missing: names.filter((n) => !scraped.has(n)) }).toEqual({ alert, missing: [] });
    }
  });
});
