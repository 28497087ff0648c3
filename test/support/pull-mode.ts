// What pull mode may leave behind, as the machine reports it: for tests that assert it left nothing.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** sshfs mounts of agent exports visible on this machine (pull mode makes them only inside private namespaces). */
export async function sshfsMounts(): Promise<string> {
  const { stdout } = await run('findmnt', ['-rn', '-t', 'fuse.sshfs', '-o', 'TARGET']).catch(() => ({ stdout: '' }));
  return stdout.trim();
}

/** Pull-mode processes still alive: sshfs reading an export, an export's sftp-server. */
export async function pullProcesses(): Promise<string[]> {
  const { stdout } = await run('ps', ['-eo', 'args']);
  return stdout.split('\n').filter((l) => l.includes('backstop-export:/') || l.includes('/.backstop-sftp/sftp-server'));
}
