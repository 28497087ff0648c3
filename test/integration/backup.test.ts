// API → BackupWorkflow → restic, on the real stack: Temporal dev server, Debian's
// PostgreSQL, restic, and the API/worker/agent processes.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { toolPath } from '../support/tools';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Stack } from '../support/stack';
import { restic, snapshotsTagged, locks } from '../support/restic';
import { hashTree, writeSampleTree } from '../../workers/embedded/sample';
import { runTag } from '../../contract/names';
import { problemOf } from '../support/problem';
import { removeWorkDir } from '../support/work-dir';

jest.setTimeout(180_000);

let pg: Postgres;
let stack: Stack;
let work: string;
const PASSWORD = 'correct horse battery staple';

beforeAll(async () => {
  pg = await startPostgres();
  stack = await startStack({ databaseUrl: pg.url });
  work = mkdtempSync(join(tmpdir(), 'backstop-data-'));
});

afterAll(async () => {
  await stack?.stop();
  await pg?.stop();
  // Last: every process that wrote there has stopped.
  removeWorkDir(work);
});

describe('a backup through the API', () => {
  it('stores one snapshot, tagged with its workflow id, that restores byte-equal', async () => {
    const source = join(work, 'source');
    writeSampleTree(source, 60);
    const repoPath = join(work, 'repo-main');
    const repo = await stack.api.createRepository({ name: 'main', url: repoPath, password: PASSWORD });
    const job = await stack.api.createJob({ name: 'sample', agent: 'local', repositoryId: repo.id, paths: [source] });

    const accepted = await stack.api.runJob(job.id);
    expect(accepted.workflowId).toMatch(new RegExp(`^backup/${job.id}/\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`));
    const run = await stack.api.waitForRun(accepted.runId, { timeoutMs: 120_000 });
    expect(run).toMatchObject({ status: 'succeeded', failureReason: null, warnings: [] });
    expect(run.stats?.filesNew).toBe(60);

    const tagged = await snapshotsTagged(repoPath, PASSWORD, runTag(accepted.workflowId));
    expect(tagged.map((s) => s.id)).toEqual([run.snapshotId]);
    expect((await stack.api.listSnapshots(job.id)).map((s) => s.id)).toEqual([run.snapshotId]);
    expect(await locks(repoPath, PASSWORD)).toEqual([]);
    await restic(repoPath, PASSWORD, ['check']);

    const target = join(work, 'restore');
    await restic(repoPath, PASSWORD, ['restore', run.snapshotId!, '--target', target]);
    expect(hashTree(join(target, source))).toEqual(hashTree(source));

    // The password never reached workflow history in plaintext.
    // Read through the Temporal CLI: the same JSON an operator exports and replay accepts.
    const json = (
      await promisify(execFile)(toolPath('temporal'), ['workflow', 'show', '--workflow-id', accepted.workflowId, '--output', 'json', '--address', stack.temporalAddress], {
        maxBuffer: 64 * 1024 * 1024,
      })
    ).stdout;
    expect(json).not.toContain(PASSWORD);
    expect(json).not.toContain(Buffer.from(PASSWORD).toString('base64'));
    // `RECORD_HISTORIES=1` refreshes the history that the replay test feeds to the worker.
    if (process.env.RECORD_HISTORIES === '1') writeFileSync(join(__dirname, '..', 'workflow', 'histories', 'backup-succeeded.json'), json);
  });

  it('fails a run whose source path does not exist, with a readable reason', async () => {
    const repo = await stack.api.createRepository({ name: 'missing-src', url: join(work, 'repo-missing'), password: PASSWORD });
    const job = await stack.api.createJob({ name: 'missing', agent: 'local', repositoryId: repo.id, paths: [join(work, 'nope')] });
    const { runId } = await stack.api.runJob(job.id);
    const run = await stack.api.waitForRun(runId, { timeoutMs: 60_000 });
    expect(run.status).toBe('failed');
    expect(run.failureReason).toBe(`source path does not exist on the agent: ${join(work, 'nope')}`);
    expect(run.snapshotId).toBeNull();
  });
});

describe('bad input', () => {
  it('refuses an unknown agent', async () => {
    const err = await problemOf(stack.api.createJob({ name: 'x', agent: 'ghost', repositoryId: 1, paths: ['/etc'] }));
    expect(err.status).toBe(400);
    expect(err.problem?.detail).toMatch(/unknown agent "ghost"/);
  });

  it('refuses unknown fields, relative paths and missing fields, listing each', async () => {
    const err = await problemOf(stack.api.request('POST', '/v1/jobs', { name: 'x', agent: 'local', repositoryId: 1, paths: ['etc'], colour: 'red' }));
    expect(err.status).toBe(400);
    const paths = err.problem?.errors?.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['body', 'body/paths/0']));
    expect(JSON.stringify(err.problem)).toContain('colour');
  });

  it('refuses a wrong password for an existing repository, writing nothing', async () => {
    const url = join(work, 'repo-existing');
    await restic(url, PASSWORD, ['init']);
    const before = (await stack.api.listRepositories()).length;
    const err = await problemOf(stack.api.createRepository({ name: 'adopt', url, password: 'not the password', init: false }));
    expect(err.status).toBe(422);
    expect(err.problem?.type).toBe('RepositoryAuthError');
    expect(err.problem?.detail).not.toContain('not the password');
    expect((await stack.api.listRepositories()).length).toBe(before);
  });

  it('refuses to adopt a directory that holds no repository', async () => {
    const url = join(work, 'empty-dir');
    mkdirSync(url);
    const err = await problemOf(stack.api.createRepository({ name: 'empty', url, password: PASSWORD, init: false }));
    expect(err.status).toBe(422);
    expect(err.problem?.type).toBe('RepositoryMissingError');
  });

  it('refuses a repository location that is not absolute', async () => {
    const err = await problemOf(stack.api.createRepository({ name: 'rel', url: 'repos/x', password: PASSWORD }));
    expect(err.status).toBe(400);
  });

  it('answers malformed JSON, oversize bodies and missing tokens with problem+json', async () => {
    const base = stack.api.baseUrl;
    const token = (stack.api as unknown as { token: string }).token;
    const post = (body: string, auth = true) =>
      fetch(`${base}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${token}` } : {}) }, body });
    const malformed = await post('{"name":');
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const huge = await post(JSON.stringify({ name: 'x'.repeat(1024 * 1024) }));
    expect(huge.status).toBe(413);
    const anonymous = await post('{}', false);
    expect(anonymous.status).toBe(401);
    const wrongQuery = await fetch(`${base}/v1/runs?job=1`, { headers: { authorization: `Bearer ${token}` } });
    expect(wrongQuery.status).toBe(400);
    // The API is still up and answering after all of that.
    expect((await stack.api.health()).status).toBe('ok');
  });

  it('keeps agent tokens to agent operations and to their own secrets', async () => {
    const other = await stack.catalog.identity.createToken({ name: 'other agent', scope: 'agent', agentName: 'other' });
    const res = await fetch(`${stack.api.baseUrl}/v1/agent/repositories/1/secret`, { headers: { authorization: `Bearer ${other}` } });
    expect(res.status).toBe(404);
    const admin = await fetch(`${stack.api.baseUrl}/v1/jobs`, { headers: { authorization: `Bearer ${other}` } });
    expect(admin.status).toBe(401);
  });
});
