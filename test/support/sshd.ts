// A throwaway OpenSSH server (Debian's openssh-server, never started as a service here) on a
// free loopback port, for borg over ssh://. Everything it reads is in a temporary directory:
// its own config, a fresh ed25519 host key, and an authorized_keys file with one fresh client
// key, restricted (`restrict`) and, when asked, tied to a forced command (`borg serve …`).
// Runs as root and lets only root in, by that one key.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';
import { listProcesses, processTree } from './procfs';
import { waitFor } from './wait';

const SSHD = '/usr/sbin/sshd';
/** sshd's privilege separation directory (Debian's build); the service unit would create it. */
const PRIVSEP_DIR = '/run/sshd';

export interface Sshd {
  port: number;
  user: 'root';
  /** One known_hosts line for this server: `[127.0.0.1]:<port> ssh-ed25519 AAAA…`. */
  knownHosts: string;
  /** The client's OpenSSH private key (unencrypted), the one key authorized_keys lets in. */
  privateKey: string;
  /** A borg URL for `path` on this server: absolute (`/srv/repo`) or relative to root's home (`./repo`). */
  url(path: string): string;
  /** What the listening sshd wrote to stderr (-e) so far: startup errors, connections. */
  log(): string;
  /** Stops sshd and the sessions it started, waits for them to exit, removes the directory. */
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** The only command the client key may run (authorized_keys `command="…"`), a shell command line. */
  forcedCommand?: string;
}

function keygen(file: string, comment: string): { privateKey: string; publicKey: string } {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { stdio: 'pipe' });
  return { privateKey: readFileSync(file, 'utf8'), publicKey: readFileSync(`${file}.pub`, 'utf8').trim() };
}

/** True once something on the port speaks SSH (the server's identification string). */
function sshBanner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    let got = '';
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(5_000, () => done(false));
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\n')) done(got.startsWith('SSH-2.0-'));
    });
    s.on('error', () => done(false));
    s.on('close', () => done(false));
  });
}

/** Running, as /proc shows it (a zombie nobody reaps yet counts as gone). */
function alive(pids: number[]): number[] {
  return listProcesses()
    .filter((p) => pids.includes(p.pid) && p.state !== 'Z')
    .map((p) => p.pid);
}

export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  if (userInfo().uid !== 0) throw new Error('startSshd: sshd must run as root here (it logs the client in as root)');
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: run scripts/setup.sh (openssh-server)`);
  // Root-owned and not group/world-writable, or sshd refuses to start.
  mkdirSync(PRIVSEP_DIR, { recursive: true, mode: 0o755 });

  const dir = mkdtempSync(join(tmpdir(), 'backstop-sshd-'));
  try {
    const hostKey = join(dir, 'ssh_host_ed25519_key');
    const host = keygen(hostKey, 'backstop-test-sshd-host');
    const client = keygen(join(dir, 'client_ed25519'), 'backstop-test-client');
    const authorizedKeys = join(dir, 'authorized_keys');
    const forced = opts.forcedCommand === undefined ? '' : `command="${opts.forcedCommand.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}",`;
    writeFileSync(authorizedKeys, `${forced}restrict ${client.publicKey}\n`, { mode: 0o600 });

    const port = await freePort();
    const config = join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${authorizedKeys}`,
        // The temp dir is not root's home: skip the ownership checks meant for ~/.ssh.
        'StrictModes no',
        // With a forced command, root may only run that command.
        `PermitRootLogin ${opts.forcedCommand === undefined ? 'prohibit-password' : 'forced-commands-only'}`,
        'AllowUsers root',
        'AuthenticationMethods publickey',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'PrintMotd no',
        'PrintLastLog no',
        'X11Forwarding no',
        'AllowTcpForwarding no',
        'LogLevel VERBOSE',
        '',
      ].join('\n'),
    );

    // -D: stay in the foreground (this process is sshd); -e: log to stderr, not syslog.
    const proc: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-1_000_000);
    });
    let exit: string | undefined;
    const exited = new Promise<void>((resolve) =>
      proc.once('exit', (code, signal) => {
        exit = signal ?? `code ${code}`;
        resolve();
      }),
    );
    // Ready when it answers with its SSH banner; an sshd that exits (bad config, port taken) fails at once.
    const state = await waitFor('sshd to accept connections', async () => (exit ? 'exited' : (await sshBanner(port)) && 'ready')).catch(async (err: Error) => {
      proc.kill('SIGKILL');
      await exited;
      throw new Error(`${err.message}\n${stderr}`);
    });
    if (state === 'exited') throw new Error(`sshd exited (${exit}) before accepting connections:\n${stderr}`);

    let stopping: Promise<void> | undefined;
    return {
      port,
      user: 'root',
      knownHosts: `[127.0.0.1]:${port} ${host.publicKey.split(' ').slice(0, 2).join(' ')}`,
      privateKey: client.privateKey,
      url: (path) => `ssh://root@127.0.0.1:${port}/${path.replace(/^\/+/, '')}`,
      log: () => stderr,
      stop() {
        stopping ??= (async () => {
          if (!exit && proc.pid !== undefined) {
            // The per-connection sshd processes call setsid: find them (and their sessions)
            // while they are still the listener's descendants.
            const sessions = processTree(proc.pid).slice(1).map((p) => p.pid);
            proc.kill('SIGTERM');
            const t = setTimeout(() => proc.kill('SIGKILL'), 20_000);
            await exited;
            clearTimeout(t);
            for (const pid of sessions) {
              try {
                process.kill(pid, 'SIGTERM');
              } catch {
                // gone already
              }
            }
            await waitFor('sshd sessions to exit', async () => alive(sessions).length === 0);
          }
          rmSync(dir, { recursive: true, force: true });
        })();
        return stopping;
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
