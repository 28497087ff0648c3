// Named plugin configurations and the script library through the real API: CRUD, secrets
// sealed at rest and handed only to the owning agent, attachment to jobs, refused deletes;
// pull jobs, whose agent gets neither plugins nor the repository password.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Stack } from '../support/stack';
import { problemOf } from '../support/problem';
import { ApiClient } from '../../core/api-client';
import { ROOT } from '../support/tools';
import { removeWorkDir } from '../support/work-dir';

jest.setTimeout(300_000);

let pg: Postgres;
let stack: Stack;
let work: string;

interface PluginConfig {
  id: number;
  agent: string;
  name: string;
  plugin: string;
  settings: Record<string, unknown>;
  secretFields: string[];
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-plugin-configs-'));
  pg = await startPostgres();
  // The local agent loads the sample third-party plugin, and reports it when it registers.
  stack = await startStack({ databaseUrl: pg.url, env: { BACKSTOP_PLUGIN_MODULES: join(ROOT, 'dist', 'activities', 'shared', 'plugins', 'sample', 'hello-file.js') } });
});

afterAll(async () => {
  await stack?.stop();
  await pg?.stop();
  // Last: every process that wrote there has stopped.
  removeWorkDir(work);
});

const agentClient = async (agentName: string) =>
  new ApiClient(stack.api.baseUrl, await stack.catalog.identity.createToken({ name: `plugin test ${agentName}`, scope: 'agent', agentName }));

describe('plugin configurations', () => {
  it('are created per agent with their secrets sealed, and only that agent gets the secrets back', async () => {
    await stack.api.request('PUT', '/v1/agents/other', { hostname: 'other' });
    const created = await stack.api.request<PluginConfig>('POST', '/v1/agents/local/plugin-configs', {
      name: 'greeter',
      plugin: 'hello_file',
      settings: { greeting: 'hi' },
      secrets: { signature: 'top-secret-signature' },
    });
    expect(created).toMatchObject({ agent: 'local', name: 'greeter', plugin: 'hello_file', settings: { greeting: 'hi' }, secretFields: ['signature'] });
    expect(JSON.stringify(created)).not.toContain('top-secret-signature');

    const { rows } = await stack.catalog.db.query('SELECT settings::text, secrets_sealed FROM plugin_configs WHERE id = $1', [created.id]);
    expect(rows[0].settings).not.toContain('top-secret');
    expect(rows[0].secrets_sealed).toMatch(/^v1:/);
    expect(rows[0].secrets_sealed).not.toContain('top-secret');

    const local = await agentClient('local');
    expect(await local.request('GET', `/v1/agent/plugin-configs/${created.id}`)).toEqual({
      id: created.id,
      name: 'greeter',
      plugin: 'hello_file',
      settings: { greeting: 'hi' },
      secrets: { signature: 'top-secret-signature' },
    });
    const other = await agentClient('other');
    expect((await problemOf(other.request('GET', `/v1/agent/plugin-configs/${created.id}`))).status).toBe(404);
    // An admin token is not an agent: it never receives plugin secrets.
    expect((await problemOf(stack.api.request('GET', `/v1/agent/plugin-configs/${created.id}`))).status).toBe(404);
    // And an agent token cannot use the admin routes.
    expect((await problemOf(local.request('GET', '/v1/agents/local/plugin-configs'))).status).toBe(401);

    // Without secrets an update keeps the sealed ones.
    const updated = await stack.api.request<PluginConfig>('PUT', `/v1/agents/local/plugin-configs/${created.id}`, { name: 'greeter', plugin: 'hello_file', settings: { greeting: 'ho' } });
    expect(updated.secretFields).toEqual(['signature']);
    expect(await local.request('GET', `/v1/agent/plugin-configs/${created.id}`)).toMatchObject({ settings: { greeting: 'ho' }, secrets: { signature: 'top-secret-signature' } });
    expect((await stack.api.request<{ items: PluginConfig[] }>('GET', '/v1/agents/local/plugin-configs')).items.map((c) => c.id)).toContain(created.id);
    expect((await stack.api.request<{ items: PluginConfig[] }>('GET', '/v1/agents/other/plugin-configs')).items).toEqual([]);
  });

  it('refuses bad configurations of built-in plugins with the reason', async () => {
    const bad = async (body: unknown) => (await problemOf(stack.api.request('POST', '/v1/agents/local/plugin-configs', body))).problem?.detail;
    expect(await bad({ name: 'h1', plugin: 'shell_hook', settings: {} })).toBe('shell_hook: set "preScript", "postScript" or both');
    expect(await bad({ name: 'h2', plugin: 'shell_hook', settings: { preScript: 'relative.sh' } })).toBe('shell_hook: "preScript" must be an absolute path without ".."');
    expect(await bad({ name: 'h3', plugin: 'shell_hook', settings: { preScript: '/a' }, secrets: { preScript: '/b' } })).toBe('shell_hook: "preScript" is not a secret field (it has no secret fields)');
    const { rows } = await stack.catalog.db.query(`SELECT count(*)::int AS n FROM plugin_configs WHERE name LIKE 'h_'`);
    expect(rows[0].n).toBe(0);
    expect((await problemOf(stack.api.request('POST', '/v1/agents/nobody/plugin-configs', { name: 'x', plugin: 'shell_hook', settings: { preScript: '/a' } }))).status).toBe(404);
  });

  it('refuse a plugin type that is neither built in nor loaded by the agent', async () => {
    await stack.api.request('PUT', '/v1/agents/other', { hostname: 'other' });
    const unknown = await problemOf(stack.api.request('POST', '/v1/agents/local/plugin-configs', { name: 'u1', plugin: 'a0' }));
    expect(unknown.status).toBe(400);
    expect(unknown.problem?.detail).toMatch(/^unknown plugin type "a0": built in are [a-z_, ]+; agent "local" reports [a-z_, ]*hello_file/);
    // "other" never loaded the sample module (it registered without capabilities).
    const elsewhere = await problemOf(stack.api.request('POST', '/v1/agents/other/plugin-configs', { name: 'u2', plugin: 'hello_file', settings: { greeting: 'hi' } }));
    expect(elsewhere.problem?.detail).toContain('agent "other" has not reported its plugin types yet');
    const { rows } = await stack.catalog.db.query(`SELECT count(*)::int AS n FROM plugin_configs WHERE name LIKE 'u_'`);
    expect(rows[0].n).toBe(0);
  });

  it('attach to jobs of their agent only, and cannot be deleted while attached', async () => {
    const repo = await stack.api.createRepository({ name: 'plugins', url: join(work, 'repo'), password: 'pw-plugins' });
    const job = await stack.api.createJob({ name: 'with-plugins', agent: 'local', repositoryId: repo.id, paths: [work] });
    const hook = await stack.api.request<PluginConfig>('POST', '/v1/agents/local/plugin-configs', { name: 'hook', plugin: 'shell_hook', settings: { preScript: '/bin/true' } });
    const foreign = await stack.api.request<PluginConfig>('POST', '/v1/agents/other/plugin-configs', { name: 'hook', plugin: 'shell_hook', settings: { preScript: '/bin/true' } });

    const attached = await stack.api.request<{ items: PluginConfig[] }>('PUT', `/v1/jobs/${job.id}/plugins`, { configIds: [hook.id] });
    expect(attached.items.map((c) => c.id)).toEqual([hook.id]);
    const refused = await problemOf(stack.api.request('PUT', `/v1/jobs/${job.id}/plugins`, { configIds: [hook.id, foreign.id] }));
    expect(refused.status).toBe(400);
    expect(refused.problem?.detail).toBe(`plugin configuration ${foreign.id} is not a configuration of agent "local", the job's agent`);
    expect((await stack.api.request<{ items: PluginConfig[] }>('GET', `/v1/jobs/${job.id}/plugins`)).items.map((c) => c.id)).toEqual([hook.id]);

    const conflict = await problemOf(stack.api.request('DELETE', `/v1/agents/local/plugin-configs/${hook.id}`));
    expect(conflict.status).toBe(409);
    expect(conflict.problem?.detail).toBe(`plugin configuration ${hook.id} is attached to job "with-plugins" (${job.id}): detach it first`);
    await stack.api.request('PUT', `/v1/jobs/${job.id}/plugins`, { configIds: [] });
    await stack.api.request('DELETE', `/v1/agents/local/plugin-configs/${hook.id}`);
    expect((await problemOf(stack.api.request('GET', `/v1/agents/local/plugin-configs/${hook.id}`))).status).toBe(404);
  });
});

describe('pull jobs', () => {
  it('keep the repository password from their agent, and take neither / nor plugins', async () => {
    const repo = await stack.api.createRepository({ name: 'pulled', url: join(work, 'repo-pull'), password: 'pw-pull-mode' });
    const local = await agentClient('local');
    const secret = () => local.request<{ password: string }>('GET', `/v1/agent/repositories/${repo.id}/secret`);
    expect((await problemOf(secret())).status).toBe(404);

    const root = await problemOf(stack.api.createJob({ name: 'pull-root', agent: 'local', repositoryId: repo.id, paths: [work, '/'], mode: 'pull' }));
    expect(root.status).toBe(400);
    expect(root.problem?.detail).toContain('list the top-level directories instead');
    expect((await stack.api.listJobs()).map((j) => j.name)).not.toContain('pull-root');

    const job = await stack.api.createJob({ name: 'pulled', agent: 'local', repositoryId: repo.id, paths: [work], mode: 'pull' });
    expect(job.mode).toBe('pull');
    const forbidden = await problemOf(secret());
    expect(forbidden.status).toBe(403);
    expect(forbidden.problem?.detail).toBe(`repository ${repo.id} is backed up in pull mode: its password stays on the server`);
    expect(JSON.stringify(forbidden.problem)).not.toContain('pw-pull-mode');

    const hook = await stack.api.request<PluginConfig>('POST', '/v1/agents/local/plugin-configs', { name: 'pull-hook', plugin: 'shell_hook', settings: { preScript: '/bin/true' } });
    const plugins = await problemOf(stack.api.request('PUT', `/v1/jobs/${job.id}/plugins`, { configIds: [hook.id] }));
    expect(plugins.status).toBe(400);
    expect(plugins.problem?.detail).toContain(`job ${job.id} is a pull job and takes no plugin configurations`);
    expect((await stack.api.request<{ items: PluginConfig[] }>('GET', `/v1/jobs/${job.id}/plugins`)).items).toEqual([]);

    // A push job of the same agent on the same repository runs the engine there: the agent needs the password.
    const push = await stack.api.createJob({ name: 'pushed', agent: 'local', repositoryId: repo.id, paths: [work] });
    expect(push.mode).toBe('push');
    expect(await secret()).toEqual({ engine: 'restic', password: 'pw-pull-mode' });
  });
});

describe('script library', () => {
  it('keeps scripts, attaches them to jobs as pre and post scripts, and refuses deleting one in use', async () => {
    const repo = await stack.api.createRepository({ name: 'scripts', url: join(work, 'repo-scripts'), password: 'pw-scripts' });
    const job = await stack.api.createJob({ name: 'with-scripts', agent: 'local', repositoryId: repo.id, paths: [work] });
    const pre = await stack.api.request<{ id: number; timeoutSeconds: number }>('POST', '/v1/scripts', { name: 'quiesce', body: 'echo quiet' });
    expect(pre.timeoutSeconds).toBe(600);
    const post = await stack.api.request<{ id: number }>('POST', '/v1/scripts', { name: 'notify', body: 'echo done', timeoutSeconds: 30 });
    expect((await problemOf(stack.api.request('POST', '/v1/scripts', { name: 'quiesce', body: 'x' }))).status).toBe(409);

    const set = await stack.api.request<{ pre: Array<{ id: number }>; post: Array<{ id: number }> }>('PUT', `/v1/jobs/${job.id}/scripts`, { pre: [pre.id], post: [post.id, pre.id] });
    expect(set.pre.map((s) => s.id)).toEqual([pre.id]);
    expect(set.post.map((s) => s.id)).toEqual([post.id, pre.id]);
    expect((await problemOf(stack.api.request('PUT', `/v1/jobs/${job.id}/scripts`, { pre: [9999], post: [] }))).problem?.detail).toBe('unknown script 9999');

    const conflict = await problemOf(stack.api.request('DELETE', `/v1/scripts/${pre.id}`));
    expect(conflict.status).toBe(409);
    expect(conflict.problem?.detail).toBe(`script ${pre.id} is attached to job "with-scripts" (${job.id}): detach it first`);
    await stack.api.request('PUT', `/v1/scripts/${pre.id}`, { name: 'quiesce', body: 'echo quieter' });
    expect(await stack.api.request('GET', `/v1/scripts/${pre.id}`)).toMatchObject({ body: 'echo quieter' });
  });
});
