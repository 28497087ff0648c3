// Agent identity on the real stack: enrollment with bootstrap tokens, mTLS to the API with
// certificates of the internal CA, renewal, revocation, per-agent secrets, backup roots
// enforced by the agent, heartbeats and "agent unreachable".
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type ExtraAgent, type Stack } from '../support/stack';
import { freePort } from '../support/ports';
import { waitFor } from '../support/wait';
import { ROOT, cliArgs } from '../support/tools';
import { problemOf } from '../support/problem';
import { activityRecords } from '../support/history';
import { writeSampleTree } from '../../workers/embedded/sample';
import { enroll } from '../../workers/agent/identity/enroll';
import { HOME_FILES, loadIdentity, type AgentIdentity } from '../../workers/agent/identity/home';
import { MtlsAgentHttp } from '../../activities/agent/api-http';
import { certificateValidity, commonNameOf, createAgentCsr, verifyIssuedBy } from '../../core/pki';
import { removeWorkDir } from '../support/work-dir';

jest.setTimeout(300_000);

const PASSWORD = 'agent identity test passphrase';
/** Short certificates, so the agents renew during the test (at two thirds: ~40 s). */
const CERT_LIFETIME_MS = 60_000;
const HEARTBEAT_MS = 2_000;
const SCHEDULE_TO_START_MS = 20_000;

let pg: Postgres;
let stack: Stack;
let work: string;
let agents: Record<string, ExtraAgent> = {};
let homes: Record<string, string> = {};

const mtls = (id: AgentIdentity) => new MtlsAgentHttp(id.mtlsUrl!, { keyPem: id.keyPem, certPem: id.certPem, caPem: id.caPem });
const newHome = (name: string) => join(mkdtempSync(join(tmpdir(), `backstop-agent-${name}-`)), 'etc');
const token = async (o: { agentName?: string; maxUses?: number } = {}) => (await stack.api.createAgentToken({ maxUses: 1, ...o })).token;

async function agentStatus(name: string) {
  return (await stack.api.listAgents()).find((a) => a.name === name);
}

/** Polls until `fn` reports something (every 500 ms, as the agents' heartbeats are seconds apart). */
const eventually = <T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> => waitFor(what, fn, timeoutMs, 500);

/** An enrolled agent process: no agent token, its home, and whatever else the test adds. */
async function startEnrolledAgent(name: string, env: Record<string, string> = {}): Promise<ExtraAgent> {
  const agent = await stack.startAgent(name, { BACKSTOP_AGENT_TOKEN: '', BACKSTOP_AGENT_HOME: homes[name]!, ...env });
  agents[name] = agent;
  return agent;
}

beforeAll(async () => {
  pg = await startPostgres();
  stack = await startStack({
    databaseUrl: pg.url,
    env: {
      BACKSTOP_API_TLS_PORT: String(await freePort()),
      BACKSTOP_AGENT_CERT_LIFETIME_MS: String(CERT_LIFETIME_MS),
      BACKSTOP_AGENT_HEARTBEAT_MS: String(HEARTBEAT_MS),
      BACKSTOP_AGENT_SCHEDULE_TO_START_MS: String(SCHEDULE_TO_START_MS),
    },
  });
  work = mkdtempSync(join(tmpdir(), 'backstop-agents-'));
  agents = {};
  homes = {};
});

afterAll(async () => {
  await stack?.stop();
  await pg?.stop();
  // Last: every process that wrote there has stopped.
  removeWorkDir(work);
});

describe('enrollment', () => {
  it('enrolls with `agent enroll`, stores key 0600, certificate and CA, then works over mTLS', async () => {
    const bootstrap = await token({ agentName: 'alpha' });
    homes.alpha = newHome('alpha');
    const { stdout } = await promisify(execFile)(process.execPath, [...cliArgs('agent', 'enroll'), '--server', stack.api.baseUrl, '--token', bootstrap, '--name', 'alpha'], {
      cwd: ROOT,
      env: { ...process.env, BACKSTOP_AGENT_HOME: homes.alpha },
    });
    expect(stdout).toContain('enrolled as agent alpha');
    expect(statSync(join(homes.alpha, HOME_FILES.key)).mode & 0o777).toBe(0o600);
    const id = loadIdentity(homes.alpha)!;
    expect(commonNameOf(id.certPem)).toBe('alpha');
    expect(verifyIssuedBy(id.certPem, id.caPem)).toBe(true);
    expect(id.mtlsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    mkdirSync(join(work, 'alpha-root'));
    await startEnrolledAgent('alpha', { BACKSTOP_BACKUP_ROOTS: join(work, 'alpha-root') });
    // Registration reports the capabilities, the first heartbeat the OS: whichever the API
    // took first, wait for both.
    const alpha = await eventually('alpha reachable with capabilities and OS', async () => {
      const a = await agentStatus('alpha');
      return a?.status === 'reachable' && a.capabilities && a.os ? a : undefined;
    });
    expect(alpha.capabilities!.engines.map((e) => e.name)).toContain('restic');
    expect(alpha.os).toMatch(/^Linux /);
    expect(alpha.version).toBeTruthy();
    // The token was for one use: it is spent.
    const tokens = await stack.api.listAgentTokens();
    expect(tokens.find((t) => t.agentName === 'alpha')).toMatchObject({ uses: 1, maxUses: 1 });
    expect(JSON.stringify(tokens)).not.toContain(bootstrap);
  });

  it('enrolls on first start from BACKSTOP_INIT_* variables (containers)', async () => {
    homes.bravo = newHome('bravo');
    await startEnrolledAgent('bravo', {
      BACKSTOP_INIT_SERVER_URL: stack.api.baseUrl,
      BACKSTOP_INIT_BOOTSTRAP_TOKEN: await token(),
      BACKSTOP_HOSTNAME: 'bravo',
    });
    expect(loadIdentity(homes.bravo)?.agentName).toBe('bravo');
    await eventually('bravo reachable', async () => (await agentStatus('bravo'))?.status === 'reachable');
  });

  it('refuses expired, used-up and revoked tokens, other names, and re-enrolling without replace', async () => {
    const home = newHome('x');
    const attempt = (t: string, name: string, replace = false) => enroll({ serverUrl: stack.api.baseUrl, token: t, name, replace, home });

    const expired = await stack.api.createAgentToken({ maxUses: 5 });
    await stack.catalog.db.query(`UPDATE agent_bootstrap_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [expired.id]);
    await expect(attempt(expired.token, 'charlie')).rejects.toThrow(/\(401\): bootstrap token refused: expired/);

    const once = await token();
    await attempt(once, 'charlie');
    await expect(attempt(once, 'delta')).rejects.toThrow(/\(401\): bootstrap token refused: all its uses are spent/);

    const revoked = await stack.api.createAgentToken({ maxUses: 5 });
    await stack.api.revokeAgentToken(revoked.id);
    await expect(attempt(revoked.token, 'delta')).rejects.toThrow(/\(401\): bootstrap token refused: revoked/);

    await expect(attempt(await token({ agentName: 'echo' }), 'delta')).rejects.toThrow(/\(401\): bootstrap token refused: it is for agent "echo" only/);
    await expect(attempt('bsb_not-a-token', 'delta')).rejects.toThrow(/\(401\): bootstrap token refused: unknown token/);

    // A pinned CA fingerprint that does not match: refused before anything is stored.
    const pinHome = newHome('pin');
    const pinned = await stack.api.createAgentToken({ maxUses: 2 });
    await expect(enroll({ serverUrl: stack.api.baseUrl, token: pinned.token, name: 'foxtrot', home: pinHome, caFingerprint: 'ab'.repeat(32) })).rejects.toThrow(/pinned fingerprint/);
    expect(loadIdentity(pinHome)).toBeNull();
    await enroll({ serverUrl: stack.api.baseUrl, token: pinned.token, name: 'golf', home: pinHome, caFingerprint: pinned.caFingerprint });
    expect(loadIdentity(pinHome)?.agentName).toBe('golf');

    // The embedded-style agent "local" holds a live agent token: taking its name needs replace too.
    await expect(attempt(await token(), 'local')).rejects.toThrow(/\(409\): agent "local" is already enrolled/);

    // charlie is enrolled: the same name again needs replace, which revokes the old certificate.
    const first = loadIdentity(home)!;
    const reuse = await token({ maxUses: 2 });
    await expect(attempt(reuse, 'charlie')).rejects.toThrow(/\(409\): agent "charlie" is already enrolled/);
    expect((await mtls(first).request('POST', '/v1/agent/heartbeat', {})).status).toBe(200);
    await attempt(reuse, 'charlie', true);
    expect((await mtls(first).request('POST', '/v1/agent/heartbeat', {})).status).toBe(401);
    expect((await mtls(loadIdentity(home)!).request('POST', '/v1/agent/heartbeat', {})).status).toBe(200);
  });

  it('lists, creates and revokes bootstrap tokens for admins only', async () => {
    const id = loadIdentity(homes.bravo)!;
    expect((await mtls(id).request('GET', '/v1/agent-tokens')).status).toBe(401);
    expect((await mtls(id).request('POST', '/v1/agent-tokens', { maxUses: 1 })).status).toBe(401);
    const err = await problemOf(stack.api.createAgentToken({ maxUses: 0 }));
    expect(err.status).toBe(400);
  });
});

describe('agents at work', () => {
  it('runs each job on its own agent; an agent cannot fetch the other agent\'s secrets', async () => {
    const srcA = join(work, 'alpha-root', 'data');
    const srcB = join(work, 'bravo-data');
    writeSampleTree(srcA, 10);
    writeSampleTree(srcB, 10);
    const repoA = await stack.api.createRepository({ name: 'alpha-repo', url: join(work, 'repo-a'), password: PASSWORD });
    const repoB = await stack.api.createRepository({ name: 'bravo-repo', url: join(work, 'repo-b'), password: `${PASSWORD} b` });
    const jobA = await stack.api.createJob({ name: 'alpha-job', agent: 'alpha', repositoryId: repoA.id, paths: [srcA] });
    const jobB = await stack.api.createJob({ name: 'bravo-job', agent: 'bravo', repositoryId: repoB.id, paths: [srcB] });
    const [runA, runB] = await Promise.all([stack.api.runJob(jobA.id), stack.api.runJob(jobB.id)]);
    const [doneA, doneB] = await Promise.all([stack.api.waitForRun(runA.runId, { timeoutMs: 180_000 }), stack.api.waitForRun(runB.runId, { timeoutMs: 180_000 })]);
    expect(doneA).toMatchObject({ status: 'succeeded', agentName: 'alpha' });
    expect(doneB).toMatchObject({ status: 'succeeded', agentName: 'bravo' });
    // restic records the agent that ran it as the snapshot's host.
    expect((await stack.api.listSnapshots(jobA.id)).map((s) => s.hostname)).toEqual(['alpha']);
    expect((await stack.api.listSnapshots(jobB.id)).map((s) => s.hostname)).toEqual(['bravo']);

    const alpha = mtls(loadIdentity(homes.alpha)!);
    const own = await alpha.request('GET', `/v1/agent/repositories/${repoA.id}/secret`);
    expect(own.status).toBe(200);
    expect(JSON.parse(own.text).password).toBe(PASSWORD);
    const other = await alpha.request('GET', `/v1/agent/repositories/${repoB.id}/secret`);
    expect(other.status).toBe(404);
    expect(other.text).not.toContain(PASSWORD);
    // Admin operations stay closed to agent certificates.
    expect((await alpha.request('GET', '/v1/jobs')).status).toBe(401);
  });

  it('refuses, on the agent, a job path outside its BACKSTOP_BACKUP_ROOTS', async () => {
    const outside = join(work, 'outside-alpha-root');
    writeSampleTree(outside, 2);
    const repo = await stack.api.createRepository({ name: 'alpha-outside', url: join(work, 'repo-outside'), password: PASSWORD });
    const job = await stack.api.createJob({ name: 'alpha-outside', agent: 'alpha', repositoryId: repo.id, paths: [outside] });
    const run = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 120_000 });
    expect(run.status).toBe('failed');
    expect(run.failureReason).toContain(`backup source ${outside} is outside this agent's allowed backup roots (BACKSTOP_BACKUP_ROOTS): ${join(work, 'alpha-root')}`);
    expect(run.snapshotId).toBeNull();
  });
});

describe('certificates', () => {
  it('renews before expiry without an operator, and keeps working on the new certificate', async () => {
    const enrolled = certificateValidity(loadIdentity(homes.alpha)!.certPem);
    const renewed = await eventually(
      'alpha to renew its certificate',
      async () => {
        const id = loadIdentity(homes.alpha)!;
        return certificateValidity(id.certPem).notAfter > enrolled.notAfter ? id : undefined;
      },
      CERT_LIFETIME_MS * 2,
    );
    expect(verifyIssuedBy(renewed.certPem, renewed.caPem)).toBe(true);
    const { rows } = await stack.catalog.db.query(`SELECT count(*)::int AS n FROM agent_certificates c JOIN agents a ON a.id = c.agent_id WHERE a.name = 'alpha'`);
    expect(rows[0].n).toBeGreaterThanOrEqual(2);
    // Past the first certificate's end the agent still heartbeats and backs up: the API has
    // taken a heartbeat from it later than that certificate's end, which only the renewed
    // one could authenticate.
    await eventually(
      'alpha heard by the API after its first certificate ended',
      async () => {
        const a = await agentStatus('alpha');
        return a?.status === 'reachable' && new Date(a.lastSeenAt!).getTime() > enrolled.notAfter.getTime();
      },
      CERT_LIFETIME_MS * 2,
    );
    const job = (await stack.api.listJobs()).find((j) => j.name === 'alpha-job')!;
    const run = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 180_000 });
    expect(run.status).toBe('succeeded');
  });

  it('renews only with a certificate, not with a bearer token', async () => {
    const { csrPem } = await createAgentCsr('local');
    const agentToken = await stack.catalog.identity.createToken({ name: 'renew test', scope: 'agent', agentName: 'local' });
    const res = await fetch(`${stack.api.baseUrl}/v1/agent/certificate/renew`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ csr: csrPem }),
    });
    expect(res.status).toBe(401);
    // A CSR for another name is refused even with a valid certificate.
    const { csrPem: forAlpha } = await createAgentCsr('alpha');
    const res2 = await mtls(loadIdentity(homes.bravo)!).request('POST', '/v1/agent/certificate/renew', { csr: forAlpha });
    expect(res2.status).toBe(400);
  });

  it('refuses a revoked agent\'s certificate at once', async () => {
    const bravo = mtls(loadIdentity(homes.bravo)!);
    expect((await bravo.request('POST', '/v1/agent/heartbeat', {})).status).toBe(200);
    const revoked = await stack.api.revokeAgent('bravo');
    expect(revoked.status).toBe('revoked');
    const after = await bravo.request('POST', '/v1/agent/heartbeat', {});
    expect(after.status).toBe(401);
    expect(JSON.parse(after.text).detail).toMatch(/client certificate refused/);
    expect((await bravo.request('GET', '/v1/agent/repositories/2/secret')).status).toBe(401);
    // Renewal cannot resurrect it either.
    expect((await bravo.request('POST', '/v1/agent/certificate/renew', { csr: (await createAgentCsr('bravo')).csrPem })).status).toBe(401);
    // The running bravo agent hears it on its next heartbeat and stops taking tasks.
    await eventually('bravo agent to stop', async () => readFileSync(join(stack.dir, 'logs', 'agent-bravo.log'), 'utf8').includes('stopping the worker'), 60_000);
    // Coming back needs a new enrollment with replace.
    const home = newHome('bravo2');
    await expect(enroll({ serverUrl: stack.api.baseUrl, token: await token(), name: 'bravo', home })).rejects.toThrow(/\(409\)/);
    await enroll({ serverUrl: stack.api.baseUrl, token: await token(), name: 'bravo', replace: true, home });
    expect((await mtls(loadIdentity(home)!).request('POST', '/v1/agent/heartbeat', {})).status).toBe(200);
  });
});

describe('health', () => {
  it('shows a killed agent unreachable, and fails its job as "agent unreachable" within the timeout', async () => {
    // The API's view before the kill: alpha reachable, with the last heartbeat it took.
    const before = await eventually('alpha reachable before the kill', async () => {
      const a = await agentStatus('alpha');
      return a?.status === 'reachable' ? a : undefined;
    });
    await agents.alpha!.kill9();
    const seen = await eventually('alpha unreachable', async () => {
      const a = await agentStatus('alpha');
      return a?.status === 'unreachable' ? a : undefined;
    });
    // What the server computed it from: the last heartbeat it took from alpha (kept, not
    // reset by the kill) and, in the catalog, the interval alpha reported with it, which is
    // what turns three missed heartbeats into seconds rather than the default 90 s.
    expect(new Date(seen.lastSeenAt!).getTime()).toBeGreaterThanOrEqual(new Date(before.lastSeenAt!).getTime());
    const { rows } = await stack.catalog.db.query(`SELECT last_seen_at, heartbeat_interval_ms FROM agents WHERE name = 'alpha'`);
    expect({ lastSeenAt: (rows[0].last_seen_at as Date).toISOString(), heartbeatIntervalMs: Number(rows[0].heartbeat_interval_ms) }).toEqual({ lastSeenAt: seen.lastSeenAt, heartbeatIntervalMs: HEARTBEAT_MS });
    const job = (await stack.api.listJobs()).find((j) => j.name === 'alpha-job')!;
    const run = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 180_000 });
    expect(run.status).toBe('failed');
    expect(run.failureReason).toMatch(/^agent unreachable: agent "alpha" did not pick up/);
    // Bounded by the step's schedule-to-start timeout, as Temporal enforced it.
    expect((await activityRecords(stack.temporal, run.workflowId)).filter((a) => a.timedOut)).toEqual([
      { activityType: 'createSnapshot', scheduleToStartMs: SCHEDULE_TO_START_MS, timedOut: 'SCHEDULE_TO_START', attempt: null },
    ]);
    // A run sent to alpha neither revives it nor counts as hearing from it: the API still
    // reports it unreachable, on the same last heartbeat.
    expect(await agentStatus('alpha')).toMatchObject({ status: 'unreachable', lastSeenAt: seen.lastSeenAt });
  });
});
