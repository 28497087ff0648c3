// Borg over SSH: the client key and the server's host keys live in a private directory only
// while borg runs, and BORG_RSH makes ssh use exactly those — no ~/.ssh/config, no agent, no
// other identities, no global known_hosts, never a prompt, and a host key that must match.
//
// Two layers of quoting meet in BORG_RSH: borg splits it with Python's shlex (POSIX rules, so
// single quotes work), then ssh splits UserKnownHostsFile's value at whitespace (it takes a
// list) and expands `%` tokens and `${VAR}` in both file paths. `borgRsh` quotes for both, and
// refuses what ssh cannot be told literally.
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, posix, resolve } from 'node:path';
import { InputError } from '../../../../contract/errors';
import type { SshAccess } from '../../../../contract/engine';
import { shellQuote } from '../../plugins/shell-quote';

/**
 * A path ssh reads literally: absolute, no control characters, and neither `%` nor `${`. ssh
 * expands both in IdentityFile and UserKnownHostsFile, and for `-i` it first checks the
 * unexpanded path exists, so no escaping (`%%`) can name a file with a `%` in it.
 */
function sshPath(path: string, what: string): string {
  if (!isAbsolute(path)) throw new InputError(`borg ssh: the ${what} path must be absolute: ${path}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) throw new InputError(`borg ssh: the ${what} path holds a control character`);
  if (/%|\$\{/.test(path)) throw new InputError(`borg ssh: the ${what} path holds "%" or "\${", which ssh would expand: ${path}`);
  return path;
}

/**
 * The ssh command line borg runs (BORG_RSH) for this key and known_hosts file. Pure. Options
 * ssh reads in order, first wins; `-F /dev/null` keeps any ssh_config out.
 */
export function borgRsh(keyPath: string, knownHostsPath: string): string {
  const key = sshPath(keyPath, 'private key');
  // UserKnownHostsFile takes a whitespace-separated list: a path with blanks or quotes is one
  // double-quoted word, `\` `"` `'` escaped.
  const khPath = sshPath(knownHostsPath, 'known_hosts');
  const kh = /[\s\\"'#]/.test(khPath) ? `"${khPath.replace(/[\\"']/g, '\\$&')}"` : khPath;
  const argv = [
    'ssh',
    '-F', '/dev/null',
    '-i', key,
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${kh}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    // A dead server or network shows within about a minute, not after TCP's hours.
    '-o', 'ServerAliveInterval=15',
    '-o', 'ServerAliveCountMax=4',
    // An unreachable host fails the step in seconds (and the API's create with a reason), not after the kernel's minutes.
    '-o', 'ConnectTimeout=15',
  ];
  return argv.map(shellQuote).join(' ');
}

export interface PreparedSsh {
  /** Environment for borg: BORG_RSH. */
  env: Record<string, string>;
  /** Removes the private directory with the key; safe to call more than once. */
  dispose(): Promise<void>;
}

/** Text as a file ssh reads: LF line ends and a final newline (OpenSSH rejects a key without one as "invalid format"). */
function asFile(text: string): string {
  const lf = text.replace(/\r\n?/g, '\n');
  return lf.endsWith('\n') ? lf : `${lf}\n`;
}

async function writePrivate(path: string, content: string): Promise<void> {
  // 'wx': a new file, created 0600 — never an existing one (or a link) whose mode we would inherit.
  const fh = await open(path, 'wx', 0o600);
  try {
    await fh.writeFile(content);
    await fh.chmod(0o600);
  } finally {
    await fh.close();
  }
}

/**
 * Writes the key and known_hosts into a new private directory (0700) under `parentDir` (the
 * system temp dir by default) and returns BORG_RSH for them. Call `dispose` when borg is done.
 */
export async function prepareSsh(ssh: SshAccess, parentDir: string = tmpdir()): Promise<PreparedSsh> {
  if (!ssh.privateKey?.trim()) throw new InputError('borg ssh: the private key is empty');
  if (!ssh.knownHosts?.trim()) throw new InputError('borg ssh: known_hosts is empty (StrictHostKeyChecking is always on: give the server\'s host keys)');
  const dir = await mkdtemp(join(resolve(parentDir), 'backstop-ssh-'));
  let disposed = false;
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // mkdtemp makes the directory 0700.
    const keyPath = join(dir, 'id');
    const knownHostsPath = join(dir, 'known_hosts');
    await writePrivate(keyPath, asFile(ssh.privateKey));
    await writePrivate(knownHostsPath, asFile(ssh.knownHosts));
    return { env: { BORG_RSH: borgRsh(keyPath, knownHostsPath) }, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/** The parts of a borg `ssh://` repository URL. */
export interface SshUrl {
  user: string;
  /** A host name, an IPv4 address, or an IPv6 address in brackets (`[::1]`), as written. */
  host: string;
  /** Absent: ssh's default (22). */
  port?: number;
  /**
   * The path as borg sends it to `borg serve`, normalised as borg does: `/srv/borg/repo`;
   * `/./repo` (relative to the server's working directory, the user's home); `/~/repo` (home).
   */
  path: string;
  /** How `borg serve` resolves `path`. */
  base: 'root' | 'cwd' | 'home';
}

const SSH_URL = /^ssh:\/\/(?:([^@:/]*)@)?((?!\[)[^:/]*|\[[^\]]*\])(?::([^/]*))?(\/.*)?$/s;

/**
 * Parses borg's `ssh://user@host[:port]/path` (and `/./relative`, `/~/in-home`). Stricter than
 * borg where borg's own form would be unsafe or ambiguous here: the user is required (ssh runs
 * with `-F /dev/null`, so it would otherwise be whoever the worker runs as), neither user nor
 * host may start with `-` (ssh would read it as an option), and no `::archive` suffix.
 */
export function parseSshUrl(url: string): SshUrl {
  const bad = (why: string): InputError => new InputError(`invalid borg ssh URL ${JSON.stringify(url)}: ${why}`, { url });
  if (typeof url !== 'string' || !url.startsWith('ssh://')) throw bad('it must start with ssh:// (ssh://user@host[:port]/path)');
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(url)) throw bad('it holds whitespace or a control character');
  const m = SSH_URL.exec(url);
  if (!m) throw bad('expected ssh://user@host[:port]/path');
  const [, user, host = '', portText, rawPath] = m;
  if (user === undefined || user === '') throw bad('name the user (ssh://user@host/path)');
  if (user.startsWith('-')) throw bad('the user must not start with "-"');
  if (host === '') throw bad('the host is missing');
  if (host.startsWith('[')) {
    if (!/^\[[0-9a-fA-F:.]+\]$/.test(host) || !host.includes(':')) throw bad(`the IPv6 address ${host} is not valid`);
  } else if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(host)) {
    throw bad(`the host ${JSON.stringify(host)} is not a host name or address`);
  }
  let port: number | undefined;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) throw bad(`the port ${JSON.stringify(portText)} is not 1-65535`);
    port = Number(portText);
  }
  if (rawPath === undefined || rawPath === '/') throw bad('the repository path is missing (ssh://user@host[:port]/path)');
  if (rawPath.includes('::')) throw bad('a repository URL names no archive ("::")');
  // As borg: normpath, but keep the `/./` that means "relative".
  const relative = rawPath.startsWith('/./');
  const norm = posix.normalize(rawPath).replace(/(.)\/+$/, '$1');
  const path = relative ? `/.${norm}` : norm;
  if (norm === '/') throw bad('the repository path is missing (ssh://user@host[:port]/path)');
  const base = relative ? 'cwd' : path.startsWith('/~') ? 'home' : 'root';
  return { user, host, ...(port !== undefined ? { port } : {}), path, base };
}
