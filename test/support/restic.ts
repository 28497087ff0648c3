// Direct restic calls for assertions: the tests check the repository itself, not only
// what Backstop says about it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function restic(repo: string, password: string, args: string[]): Promise<string> {
  const { stdout } = await run('restic', args, {
    env: { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: password },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

export async function snapshotsTagged(repo: string, password: string, tag: string): Promise<Array<{ id: string; tags: string[] }>> {
  return JSON.parse(await restic(repo, password, ['snapshots', '--json', '--tag', tag])) as Array<{ id: string; tags: string[] }>;
}

export async function locks(repo: string, password: string): Promise<string[]> {
  return (await restic(repo, password, ['list', 'locks', '--no-lock'])).split('\n').filter(Boolean);
}
