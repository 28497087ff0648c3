// Hook semantics on the real stack: library server scripts (every job field in the
// environment, KEY=VALUE overrides, abort on a failed pre script with post scripts still run,
// a timeout that kills the script's children) and the agent's shell_hook plugin (run as
// another user in a working directory, status and snapshot id in the environment).
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { ROOT } from '../support/tools';
import { removeWorkDir } from '../support/work-dir';

jest.setTimeout(400_000);

const HOOK_USER = 'backstop-hook';

let pg: Postgres;
let stack: Stack;
let work: string;
let out: string;
let data: string;
let repoId: number;
let jobs = 0;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-hooks-'));
  chmodSync(work, 0o755);
  out = join(work, 'out');
  mkdirSync(out, { mode: 0o777 });
  chmodSync(out, 0o777);
  data = join(work, 'data');
  mkdirSync(data);
  writeFileSync(join(data, 'keep.txt'), 'kept\n');
  writeFileSync(join(data, 'drop.skip'), 'excluded by the pre script\n');
  try {
    execFileSync('id', ['-u', HOOK_USER], { stdio: 'pipe' });
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', HOOK_USER]);
  }
  pg = await startPostgres();
  // The sample third-party plugin, loaded by the agent at start as any other module would be.
  stack = await startStack({ databaseUrl: pg.url, env: { BACKSTOP_PLUGIN_MODULES: join(ROOT, 'dist', 'activities', 'shared', 'plugins', 'sample', 'hello-file.js') } });
  repoId = (await stack.api.createRepository({ name: 'hooks', url: join(work, 'repo'), password: 'hooks-pass' })).id;
});

afterAll(async () => {
  await stack?.stop();
  await pg?.stop();
  // Last: every process that wrote there has stopped.
  removeWorkDir(work);
});

const envFile = (name: string): Record<string, string> =>
  Object.fromEntries(
    readFileSync(join(out, name), 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

async function script(name: string, body: string, timeoutSeconds?: number): Promise<number> {
  return (await stack.api.request<{ id: number }>('POST', '/v1/scripts', { name, body, ...(timeoutSeconds ? { timeoutSeconds } : {}) })).id;
}

async function newJob(scripts: { pre: number[]; post: number[] }, configIds: number[] = []) {
  const job = await stack.api.createJob({ name: `hooks-${++jobs}`, agent: 'local', repositoryId: repoId, paths: [data] });
  await stack.api.request('PUT', `/v1/jobs/${job.id}/scripts`, scripts);
  if (configIds.length) await stack.api.request('PUT', `/v1/jobs/${job.id}/plugins`, { configIds });
  return job;
}

async function run(jobId: number) {
  const { runId } = await stack.api.runJob(jobId);
  return stack.api.waitForRun(runId, { timeoutMs: 300_000 });
}

describe('server scripts', () => {
  it('see every job field, override tags, label and excludes, and post scripts see the outcome', async () => {
    const pre = await script('pre-env', `env | grep ^BACKSTOP_ | sort > ${out}/pre.env; echo TAGS=alpha,beta; echo LABEL=nightly; echo 'EXCLUDE=*.skip'; echo chatter; echo to-stderr >&2`);
    const post = await script('post-env', `env | grep ^BACKSTOP_ | sort > ${out}/post.env`);
    const job = await newJob({ pre: [pre], post: [post] });
    const r = await run(job.id);
    expect(r.status).toBe('succeeded');

    const preEnv = envFile('pre.env');
    expect(preEnv).toMatchObject({
      BACKSTOP_RUN_ID: r.id,
      BACKSTOP_JOB_ID: String(job.id),
      BACKSTOP_JOB_NAME: job.name,
      BACKSTOP_AGENT: 'local',
      BACKSTOP_REPOSITORY: 'hooks',
      BACKSTOP_REPOSITORY_ID: String(repoId),
      BACKSTOP_PATHS: data,
      BACKSTOP_SNAPSHOT_MODE: 'none',
      BACKSTOP_PHASE: 'pre',
    });
    expect(preEnv.BACKSTOP_WORKFLOW_ID).toMatch(new RegExp(`^backup/${job.id}/`));
    expect(preEnv.BACKSTOP_RUN_SUCCESS).toBeUndefined();
    // One warning: the line that was not an override.
    expect(envFile('post.env')).toMatchObject({ BACKSTOP_PHASE: 'post', BACKSTOP_RUN_SUCCESS: 'true', BACKSTOP_RUN_STATUS: 'succeeded', BACKSTOP_RUN_WARNINGS: '1', BACKSTOP_SNAPSHOT_ID: r.snapshotId! });

    const [snapshot] = await stack.api.listSnapshots(job.id);
    expect(snapshot!.tags).toEqual(expect.arrayContaining(['alpha', 'beta', 'backstop-label=nightly']));
    const tree = await stack.api.request<{ entries: Array<{ name: string }> }>('GET', `/v1/snapshots/${snapshot!.id}/tree?path=${encodeURIComponent(data)}`);
    expect(tree.entries.map((e) => e.name)).toEqual(['keep.txt']);

    const log = (await stack.api.runLog(r.id)).items.map((l) => `${l.step} ${l.stream} ${l.line}`);
    expect(log).toEqual(expect.arrayContaining(['server-pre-scripts stderr to-stderr', 'server-pre-scripts stderr warning: unrecognised pre script output (not TAGS=, LABEL= or EXCLUDE=): chatter']));
  });

  it('abort the backup on a failed pre script, and the post scripts still run', async () => {
    const pre = await script('pre-fail', 'echo "cannot quiesce" >&2; exit 3');
    const post = await script('post-after-fail', `env | grep ^BACKSTOP_ | sort > ${out}/post-fail.env`);
    const job = await newJob({ pre: [pre], post: [post] });
    const r = await run(job.id);
    expect(r.status).toBe('failed');
    expect(r.failureReason).toContain('pre script "pre-fail" exited with code 3: cannot quiesce');
    expect(envFile('post-fail.env')).toMatchObject({ BACKSTOP_RUN_SUCCESS: 'false', BACKSTOP_RUN_STATUS: 'failed' });
    expect(await stack.api.listSnapshots(job.id)).toEqual([]);
  });

  it('are killed with their children when they time out', async () => {
    const pre = await script('pre-slow', `sleep 300 & echo $! > ${out}/child.pid; wait`, 2);
    const job = await newJob({ pre: [pre], post: [] });
    const r = await run(job.id);
    expect(r.status).toBe('failed');
    expect(r.failureReason).toContain('pre script "pre-slow" timed out after 2000 ms');
    const pid = Number(readFileSync(join(out, 'child.pid'), 'utf8').trim());
    await waitFor('the script\'s child to be gone', async () => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z', 30_000);
  });
});

describe('shell_hook plugin', () => {
  const hookScript = (name: string, body: string) => {
    const path = join(work, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return path;
  };

  it('runs its scripts as the given user in the working directory, with status and snapshot id', async () => {
    const pre = hookScript('pre.sh', `{ id -un; pwd; env | grep ^BACKSTOP_ | sort; } > ${out}/hook-pre.txt`);
    const post = hookScript('post.sh', `{ id -un; env | grep ^BACKSTOP_ | sort; } > ${out}/hook-post.txt`);
    const config = await stack.api.request<{ id: number }>('POST', '/v1/agents/local/plugin-configs', {
      name: 'hooks-as-user',
      plugin: 'shell_hook',
      settings: { preScript: pre, postScript: post, runAsUser: HOOK_USER, workingDirectory: out, timeoutSeconds: 60 },
    });
    const job = await newJob({ pre: [], post: [] }, [config.id]);
    const r = await run(job.id);
    expect(r.status).toBe('succeeded');
    const [preUser, preDir, ...preEnv] = readFileSync(join(out, 'hook-pre.txt'), 'utf8').trim().split('\n');
    expect([preUser, preDir]).toEqual([HOOK_USER, out]);
    expect(preEnv).toEqual(expect.arrayContaining([`BACKSTOP_JOB_NAME=${job.name}`, 'BACKSTOP_AGENT=local', 'BACKSTOP_PHASE=pre', 'BACKSTOP_STATUS=running', `BACKSTOP_RUN_ID=${r.id}`]));
    const [postUser, ...postEnv] = readFileSync(join(out, 'hook-post.txt'), 'utf8').trim().split('\n');
    expect(postUser).toBe(HOOK_USER);
    expect(postEnv).toEqual(expect.arrayContaining(['BACKSTOP_STATUS=succeeded', 'BACKSTOP_RUN_SUCCESS=true', `BACKSTOP_SNAPSHOT_ID=${r.snapshotId}`]));
  });

  it('aborts the backup when the pre script fails, and runs the post script regardless', async () => {
    const pre = hookScript('pre-fail.sh', 'echo "app busy" >&2; exit 1');
    const post = hookScript('post-always.sh', `env | grep ^BACKSTOP_ | sort > ${out}/hook-post-fail.env`);
    const config = await stack.api.request<{ id: number }>('POST', '/v1/agents/local/plugin-configs', { name: 'hooks-fail', plugin: 'shell_hook', settings: { preScript: pre, postScript: post } });
    const job = await newJob({ pre: [], post: [] }, [config.id]);
    const r = await run(job.id);
    expect(r.status).toBe('failed');
    expect(r.failureReason).toContain(`shell_hook pre script ${pre} exited with code 1: the backup is aborted`);
    expect(envFile('hook-post-fail.env')).toMatchObject({ BACKSTOP_STATUS: 'failed', BACKSTOP_RUN_SUCCESS: 'false' });
    expect(await stack.api.listSnapshots(job.id)).toEqual([]);
  });
});

describe('third-party plugins', () => {
  it('load from BACKSTOP_PLUGIN_MODULES at agent start and contribute to the backup', async () => {
    const config = await stack.api.request<{ id: number }>('POST', '/v1/agents/local/plugin-configs', {
      name: 'greeter',
      plugin: 'hello_file',
      settings: { greeting: 'hello from a module' },
      secrets: { signature: 'unused-signature' },
    });
    const job = await newJob({ pre: [], post: [] }, [config.id]);
    const r = await run(job.id);
    expect(r.status).toBe('succeeded');
    const dir = join(stack.dir, 'data', 'agents', 'local', 'plugin-work', r.id, String(config.id), 'hello');
    const tree = await stack.api.request<{ entries: Array<{ name: string }> }>('GET', `/v1/snapshots/${r.snapshotId}/tree?path=${encodeURIComponent(dir)}`);
    expect(tree.entries.map((e) => e.name)).toEqual(['hello.txt']);
    const file = await stack.api.snapshotFile(r.snapshotId!, join(dir, 'hello.txt'));
    expect(await file.text()).toBe(`hello from a module from local, job ${job.name}\n`);
  });
});
