// Where OpenSSH's sftp-server is on this machine and what it needs to run in a bare root.
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { promisify } from 'node:util';
import { parseLdd, type SftpRuntime } from './export-commands';

/** Debian's openssh-sftp-server puts it here. */
export const SFTP_SERVER = '/usr/lib/openssh/sftp-server';

export async function findSftpRuntime(server = SFTP_SERVER): Promise<SftpRuntime | null> {
  try {
    await access(server, constants.X_OK);
  } catch {
    return null;
  }
  // A static binary makes ldd exit non-zero ("not a dynamic executable"): nothing to bind.
  const out = await promisify(execFile)('ldd', [server]).then((r) => r.stdout, () => '');
  return { ...parseLdd(out), server };
}
