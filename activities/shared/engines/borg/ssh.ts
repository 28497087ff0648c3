// Borg over ssh://: the client key and the server's host keys exist as files only while
// borg runs, in a private directory that dispose() removes. Minimal version; the ssh helper
// may replace it with the same signature.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SshAccess } from '../../../../contract/engine';

/** Quotes a word for the shell borg runs BORG_RSH through. */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export async function prepareSsh(ssh: SshAccess): Promise<{ env: Record<string, string>; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'backstop-borg-ssh-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    const key = join(dir, 'id');
    const knownHosts = join(dir, 'known_hosts');
    await writeFile(key, ssh.privateKey.endsWith('\n') ? ssh.privateKey : `${ssh.privateKey}\n`, { mode: 0o600 });
    await writeFile(knownHosts, ssh.knownHosts.endsWith('\n') ? ssh.knownHosts : `${ssh.knownHosts}\n`, { mode: 0o600 });
    // -F /dev/null: no user or system ssh_config changes what Backstop configured here.
    const rsh = ['ssh', '-F', '/dev/null', '-i', shellQuote(key), '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${shellQuote(knownHosts)}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes'];
    return { env: { BORG_RSH: rsh.join(' ') }, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
