// The CLI as an operator uses it, on the real stack: set up a repository and a job with
// `backstop` alone (no curl), get the exit codes the README documents, and watch a backup
// with `--wait` in a real terminal (tmux): the progress bar while it runs, then the summary;
// Ctrl-C while following (the watching stops, the run does not); Tab completion in a real
// zsh and bash; the profile BACKSTOP_PROFILE names.
// restic is capped at 2 MiB/s (BACKSTOP_RESTIC wrapper) so the backup lasts long enough to be
// seen running; every wait polls what the system or the pane shows, with a deadline.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type Postgres } from '../support/postgres';
import { writeRandomFiles } from '../support/random-files';
import { startStack, type Stack } from '../support/stack';
import { ROOT, cliArgs } from '../support/tools';
import { fatal, waitFor } from '../support/wait';
import { removeWorkDir } from '../support/work-dir';

jest.setTimeout(400_000);

let pg: Postgres;
let stack: Stack;
let work: string;
let env: Record<string, string>;
const TMUX_SOCKET = `backstop-cli-test-${process.pid}`;
const PASSWORD = 'cli-test-repository-password';

/** `backstop …` in a process of its own, stdout a pipe (not a terminal): code and output. */
function backstop(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, cliArgs(...args), { cwd: ROOT, env: { ...env, ...extraEnv }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

const tmux = (...args: string[]) => execFileSync('tmux', ['-L', TMUX_SOCKET, ...args], { encoding: 'utf8' });
/** What the person at the terminal sees now: the pane's visible lines, trailing blanks trimmed. */
const screen = () => tmux('capture-pane', '-p', '-t', 'cli').replace(/\s+$/, '');

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backstop-cli-'));
  const wrapper = join(work, 'restic-wrapper');
  writeFileSync(wrapper, '#!/bin/sh\nexec restic --limit-upload 2048 "$@"\n', { mode: 0o755 });
  pg = await startPostgres();
  stack = await startStack({
    databaseUrl: pg.url,
    env: {
      BACKSTOP_RESTIC: wrapper,
      // The live progress is the engine activity's last heartbeat, which the SDK sends at most
      // every 80% of this (default 30 s): short here, so a 12 s backup shows it several times.
      BACKSTOP_ENGINE_HEARTBEAT_TIMEOUT_MS: '3000',
    },
  });
  const token = await stack.catalog.identity.createToken({ name: 'cli test', scope: 'admin' });
  env = {
    PATH: process.env.PATH!,
    HOME: work,
    XDG_CONFIG_HOME: join(work, 'config'),
    BACKSTOP_API_URL: stack.api.baseUrl,
    BACKSTOP_TOKEN: token,
    BACKSTOP_DATA_DIR: join(work, 'no-embedded-data'),
  };
});

afterAll(async () => {
  try {
    tmux('kill-server');
  } catch {
    /* never started */
  }
  await stack?.stop();
  await pg?.stop();
  // Last: every process that wrote there has stopped.
  removeWorkDir(work);
});

let jobId: number;

test('a repository and a job set up with the CLI alone, listed as tables and as the API JSON', async () => {
  const source = join(work, 'source');
  // ~24 MiB restic cannot deduplicate: some 12 s through the capped restic.
  writeRandomFiles(source, 6, 4 * 1024 * 1024);
  const repo = await backstop(['repos', 'create', 'cli', '--url', join(work, 'repo')], { BACKSTOP_REPOSITORY_PASSWORD: PASSWORD });
  expect(repo).toMatchObject({ code: 0, stdout: expect.stringMatching(/^repository \d+ \(restic\) cli at /) });
  const repoId = Number(/^repository (\d+)/.exec(repo.stdout)![1]);
  const job = await backstop(['jobs', 'create', 'cli', '--agent', 'local', '--repository', String(repoId), '--path', source]);
  expect(job.code).toBe(0);
  jobId = Number(/^job (\d+)/.exec(job.stdout)![1]);

  const table = await backstop(['jobs', 'list']);
  expect(table.code).toBe(0);
  expect(table.stdout.split('\n')[0]).toMatch(/^ID +NAME +AGENT +REPO +LAST RUN/);
  expect(table.stdout).toMatch(new RegExp(`^ *${jobId} +cli +local +${repoId} `, 'm'));
  expect(table.stdout).not.toMatch(/\(index\)|'/);
  const json = await backstop(['jobs', 'list', '--json']);
  expect(JSON.parse(json.stdout)).toEqual({ items: await stack.api.listJobs() });
});

test('exit codes: 2 usage, 4 unreachable, 5 an API error', async () => {
  const usage = await backstop(['jobs', 'run', String(jobId), '--bogus']);
  expect(usage.code).toBe(2);
  expect(usage.stderr).toContain("error: unknown option '--bogus'");
  expect(usage.stderr).toContain('Usage: backstop jobs run [options] <id>');
  const unreachable = await backstop(['runs', 'list'], { BACKSTOP_API_URL: 'http://127.0.0.1:9' });
  expect(unreachable.code).toBe(4);
  expect(unreachable.stderr).toContain('cannot reach the API at http://127.0.0.1:9');
  const missing = await backstop(['runs', 'show', '00000000-0000-4000-8000-000000000000']);
  expect(missing.code).toBe(5);
  expect(missing.stderr).toMatch(/^backstop: .*\(404\)/);
});

test('jobs run --wait in a terminal: a progress bar with bytes, rate and ETA while it runs, then the summary', async () => {
  tmux('new-session', '-d', '-s', 'cli', '-x', '140', '-y', '40', 'bash --norc --noprofile');
  // The pane stays when bash exits, so its last screen can still be read.
  tmux('set-option', '-t', 'cli', 'remain-on-exit', 'on');
  const vars = Object.entries(env).map(([k, v]) => `${k}='${v}'`).join(' ');
  tmux('send-keys', '-t', 'cli', `clear; env ${vars} ${process.execPath} ${cliArgs('jobs', 'run', String(jobId), '--wait').join(' ')}; echo "exit=$?"`, 'Enter');

  // What a person sees mid-run: `[####------]  37%  8.20 MiB / 24.0 MiB  2/6 files  2.05 MiB/s  ETA 7s  engine 4s`.
  const bar = /\[#*-*\] +\d+% {2}[\d.]+ (B|KiB|MiB) \/ [\d.]+ MiB {2}\d+\/\d+ files {2}[\d.]+ (B|KiB|MiB)\/s {2}ETA \S+ {2}engine \S+/;
  const during = await waitFor(
    'the progress bar on the screen',
    async () => {
      const s = screen();
      if (/exit=\d/.test(s)) throw fatal(`the command ended before a bar was seen:\n${s}`);
      return bar.test(s) ? s : null;
    },
    120_000,
    100,
  );
  expect(during).toMatch(/^run [0-9a-f-]{36} started \(workflow backup\/\d+\/\S+\)$/m);

  const after = await waitFor('the command to end', async () => (/exit=\d+/.test(screen()) ? screen() : null), 180_000, 250);
  const runId = /^run ([0-9a-f-]{36}) started/m.exec(after)![1]!;
  expect(after).toContain('exit=0');
  expect(after).toMatch(new RegExp(`^backup run ${runId} succeeded after \\S+$`, 'm'));
  expect(after).toMatch(/^ {2}snapshot {2}[0-9a-f]{64}$/m);
  expect(after).toMatch(/^ {2}data {6}24\.0 MiB processed, [\d.]+ MiB added$/m);
  // The status line was erased, not left behind among the summary.
  expect(after).not.toMatch(bar);
  expect((await stack.api.getRun(runId)).status).toBe('succeeded');
});

test('jobs run --wait into a pipe: plain progress lines, no terminal control characters', async () => {
  // 16 MiB new: some 8 s through the capped restic.
  writeRandomFiles(join(work, 'source'), 4, 4 * 1024 * 1024, { prefix: 'more-' });
  const r = await backstop(['jobs', 'run', String(jobId), '--wait']);
  expect(r.code).toBe(0);
  expect(r.stdout).not.toContain('\x1b');
  expect(r.stdout).not.toContain('\r');
  expect(r.stdout).toMatch(/^\S+Z backup [0-9a-f]{8}: engine {2}\d+% {2}/m);
  expect(r.stdout).toMatch(/^backup run [0-9a-f-]{36} succeeded after /m);
});

test('Ctrl-C during jobs run --wait in a terminal: the watching stops cleanly (exit 130), the run goes on to succeed', async () => {
  // 16 MiB new: some 8 s through the capped restic, long enough to be interrupted mid-run.
  writeRandomFiles(join(work, 'source'), 4, 4 * 1024 * 1024, { prefix: 'ctrl-c-' });
  tmux('new-session', '-d', '-s', 'ctrlc', '-x', '140', '-y', '40', 'bash --norc --noprofile');
  // -J: a line the pane wrapped comes back whole.
  const pane = () => tmux('capture-pane', '-p', '-J', '-t', 'ctrlc').replace(/\s+$/, '');
  const vars = Object.entries(env).map(([k, v]) => `${k}='${v}'`).join(' ');
  tmux('send-keys', '-t', 'ctrlc', `clear; env ${vars} ${process.execPath} ${cliArgs('jobs', 'run', String(jobId), '--wait').join(' ')}; echo "exit=$?"`, 'Enter');
  const bar = /\[#*-*\] +\d+%/;
  await waitFor('the progress bar on the screen', async () => {
    const s = pane();
    if (/exit=\d/.test(s)) throw fatal(`the command ended before a bar was seen:\n${s}`);
    return bar.test(s);
  }, 120_000, 100);
  tmux('send-keys', '-t', 'ctrlc', 'C-c');
  const after = await waitFor('the command to stop', async () => (/exit=\d+/.test(pane()) ? pane() : null), 60_000, 100);
  const runId = /^run ([0-9a-f-]{36}) started/m.exec(after)![1]!;
  expect(after).toContain('exit=130');
  expect(after).toContain(`backstop: stopped following run ${runId}; it goes on: backstop runs watch ${runId} follows it again, backstop runs cancel ${runId} stops it`);
  // No half-drawn bar left before the message.
  expect(after).not.toMatch(bar);
  expect(await stack.api.waitForRun(runId, { timeoutMs: 180_000 })).toMatchObject({ status: 'succeeded' });
});

test('completion in a real zsh and a real bash: Tab completes commands and flags', async () => {
  // `backstop` on the PATH, as an installed CLI is.
  const bin = join(work, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'backstop'), `#!/bin/sh\nexec ${process.execPath} ${cliArgs().join(' ')} "$@"\n`, { mode: 0o755 });
  const shells: Array<[string, string, string]> = [
    ['zsh', `env -i HOME=${work} TERM=xterm PATH=${bin}:/usr/bin:/bin zsh -f`, `autoload -U compinit && compinit -u -d ${work}/.zcompdump && source <(backstop completion zsh) && echo completion-loaded`],
    ['bash', `env -i HOME=${work} TERM=xterm PATH=${bin}:/usr/bin:/bin bash --norc --noprofile`, 'source <(backstop completion bash) && echo completion-loaded'],
  ];
  for (const [name, shell, load] of shells) {
    tmux('new-session', '-d', '-s', name, '-x', '140', '-y', '20', shell);
    // tmux trims each line's trailing blanks: the space a completion adds is not seen.
    const pane = () => tmux('capture-pane', '-p', '-t', name).replace(/\s+$/, '');
    tmux('send-keys', '-t', name, load, 'Enter');
    await waitFor(`${name} to load the completion`, async () => /^completion-loaded$/m.test(pane()), 30_000, 100);
    const completes = async (typed: string, expected: RegExp) => {
      tmux('send-keys', '-t', name, 'C-u', typed, 'Tab');
      await waitFor(`${name} to complete "${typed}"`, async () => expected.test(pane()), 30_000, 100);
    };
    await completes('backstop jobs ed', /backstop jobs edit$/m);
    await completes('backstop repos del', /backstop repos delete$/m);
    await completes('backstop jobs run 7 --wa', /backstop jobs run 7 --wait$/m);
    tmux('kill-session', '-t', name);
  }
});

test('BACKSTOP_PROFILE picks the config file profile when no --profile is given', async () => {
  mkdirSync(join(work, 'config', 'backstop'), { recursive: true });
  writeFileSync(join(work, 'config', 'backstop', 'config'), `[default]\napi-url = http://127.0.0.1:9\n\n[other]\napi-url = ${stack.api.baseUrl}\n`);
  const shown = await backstop(['config', '--json'], { BACKSTOP_PROFILE: 'other', BACKSTOP_API_URL: '' });
  expect(shown.code).toBe(0);
  expect(JSON.parse(shown.stdout)).toMatchObject({ profile: 'other', apiUrl: stack.api.baseUrl, apiUrlFrom: 'profile' });
  expect(JSON.parse((await backstop(['config', '--json'], { BACKSTOP_API_URL: '' })).stdout)).toMatchObject({ profile: 'default' });
  const flag = await backstop(['--profile', 'default', 'config', '--json'], { BACKSTOP_PROFILE: 'other', BACKSTOP_API_URL: '' });
  expect(JSON.parse(flag.stdout)).toMatchObject({ profile: 'default' });
  const missing = await backstop(['config'], { BACKSTOP_PROFILE: 'nowhere' });
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('no profile [nowhere]');
});
