// A restore written by the server worker (via: server), as data: the server streams the
// snapshot as a tar archive (`restic dump`, which carries owners, modes, sub-second times,
// symlinks and extended attributes) over the run's mTLS channel, and GNU tar writes it into
// the checked target here. The agent never sees the repository or its password.
//
// Why tar and not sshfs writes: SFTP sets owners and times through symlinks (sftp-server's
// SETSTAT follows them), so a restore through sshfs would move the metadata of a link's
// target and fail on links that point outside. GNU tar sets a link's own metadata, refuses
// members with `..`, strips leading `/`, and makes links that point out of the tree only at
// the end of the archive, so nothing is written outside the target through them.
//
// Each connection says first what it wants, in one line: `extract` or `compare` (GNU tar's
// own verification, `tar --compare`, against the same stream). The agent answers with one
// line once tar has ended: ImportStatus (contract/pull.ts) as JSON.
import type { ImportMode } from '../../../contract/pull';

/** The first line of a connection, at most this long. */
export const IMPORT_HEADER_MAX = 32;

export function parseImportHeader(line: string): ImportMode {
  if (line === 'extract' || line === 'compare') return line;
  throw new Error(`unknown import request ${JSON.stringify(line.slice(0, IMPORT_HEADER_MAX))}`);
}

/** GNU tar reading the archive on stdin into (or comparing it with) `target`, a real directory the agent checked. */
export function importTarCommand(mode: ImportMode, target: string): { command: string; args: string[] } {
  const common = ['--file=-', `--directory=${target}`, '--numeric-owner'];
  // compare prints only the differences it finds (on stdout), extract one name per member.
  if (mode === 'compare') return { command: 'tar', args: ['--compare', ...common] };
  return {
    command: 'tar',
    args: ['--extract', ...common, '--verbose', '--same-owner', '--same-permissions', '--xattrs', '--xattrs-include=*', '--delay-directory-restore'],
  };
}

