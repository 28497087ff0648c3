// The command that serves one connection of a pull export, as data.
//
// OpenSSH's sftp-server runs read-only (-R) in a private mount namespace whose root is a
// fresh tmpfs holding nothing but the job's paths (bind-mounted read-only at their original
// places, from the filesystem snapshot when there is one) and the directories leading to
// them (with the owners, modes and mtimes of the real ones). `-d` alone would confine
// nothing: sftp-server follows any absolute path it is asked for. sftp-server is dynamically
// linked, so its binary and libraries are bound under /.backstop-sftp for the exec; the
// export server unmounts them once sftp-server has answered (its libraries are loaded by
// then), so the peer sees only the job's paths.
//
// Every path travels as an argument, never spliced into the script.
import { basename, dirname } from 'node:path';
import { ancestorsOf } from '../../shared/paths';
import { isInside } from '../../shared/restore-target';

export interface ExportEntry {
  /** The original path, as the engine records it. */
  path: string;
  kind: 'dir' | 'file' | 'symlink';
  /** Where to read it from (a snapshot's frozen copy or the live path); symlinks: their target. */
  source: string;
}

export interface AncestorMeta {
  path: string;
  uid: number;
  gid: number;
  mode: number;
  /** Seconds since the epoch, fractional. */
  mtime: number;
}

export interface SftpRuntime {
  /** The ELF interpreter (ld.so) that loads sftp-server; null for a static binary. */
  interpreter: string | null;
  libraries: string[];
  server: string;
}

export const RUNTIME_DIR = '/.backstop-sftp';

const SCRIPT = [
  'R=$1; shift',
  'mount -t tmpfs -o mode=0755,size=4m backstop-export "$R" || exit 97',
  'while [ "$1" != "--" ]; do',
  '  case "$1" in',
  '    dir) mkdir -p -- "$R$2" || exit 97; shift 2 ;;',
  '    file) : > "$R$2" || exit 97; shift 2 ;;',
  '    link) ln -s -- "$2" "$R$3" || exit 97; shift 3 ;;',
  // Read-only in the kernel too, not only by sftp-server's -R.
  '    bind) mount --rbind -- "$2" "$R$3" && mount -o remount,bind,ro -- "$R$3" || exit 97; shift 3 ;;',
  '    meta) chown -h -- "$3:$4" "$R$2" && chmod -- "$5" "$R$2" && touch -h -d "@$6" -- "$R$2" || exit 97; shift 6 ;;',
  '    *) exit 98 ;;',
  '  esac',
  'done',
  'shift',
  'exec chroot -- "$R" "$@"',
].join('\n');

/** A file sftp-server needs only to start: bound at `at` for the exec, dropped once it runs. */
interface StartupFile {
  at: string;
  source: string;
}

/** Where a runtime file is bound inside the export's root (sftp-server runs from there). */
export const runtimePath = (file: string) => `${RUNTIME_DIR}/${basename(file)}`;

/**
 * What sftp-server's start needs beyond the job's paths: its binary and libraries, /dev/null
 * (OpenSSH's sanitise_stdfd exits without it) and a passwd entry for root (it looks up its
 * own user and exits without one). A job path that already brings one of them provides it.
 */
function startupFiles(runtime: SftpRuntime, passwdFile: string, entries: ExportEntry[]): StartupFile[] {
  const files = [...(runtime.interpreter ? [runtime.interpreter] : []), ...runtime.libraries, runtime.server].map((f) => ({ at: runtimePath(f), source: f }));
  files.push({ at: '/dev/null', source: '/dev/null' }, { at: '/etc/passwd', source: passwdFile });
  // A symlink at /etc or /dev points nowhere inside the export's root: it provides nothing.
  return files.filter((f) => !entries.some((e) => e.kind !== 'symlink' && isInside(f.at, e.path)));
}

export interface ExportPlan {
  /** `unshare … sh -c <script> … -- chroot … sftp-server -R`, for one connection. */
  command: string;
  args: string[];
  /** Once sftp-server answers: the command that drops its start-up files (`nsenter -t <pid> -m …`). */
  hide(pid: number): { command: string; args: string[] };
}

export function exportPlan(root: string, entries: ExportEntry[], ancestors: AncestorMeta[], runtime: SftpRuntime, passwdFile: string): ExportPlan {
  const ops: string[] = [];
  const made = new Set<string>();
  const dir = (p: string) => {
    if (made.has(p)) return;
    made.add(p);
    ops.push('dir', p);
  };
  for (const a of ancestors) dir(a.path);
  for (const e of entries) {
    for (const a of ancestorsOf(e.path)) dir(a);
    if (e.kind === 'symlink') ops.push('link', e.source, e.path);
    else {
      if (e.kind === 'dir') dir(e.path);
      else ops.push('file', e.path);
      ops.push('bind', e.source, e.path);
    }
  }
  const shared = new Set(made);
  const startup = startupFiles(runtime, passwdFile, entries);
  const startupDirs = new Set<string>();
  for (const f of startup) {
    for (const a of ancestorsOf(f.at)) {
      if (!shared.has(a)) startupDirs.add(a);
      dir(a);
    }
    ops.push('file', f.at, 'bind', f.source, f.at);
  }
  // Owners, modes and mtimes last: creating an entry changes its directory's mtime.
  for (const a of ancestors) ops.push('meta', a.path, String(a.uid), String(a.gid), (a.mode & 0o7777).toString(8), String(a.mtime));

  const server = ['-R', '-e', '-l', 'ERROR', '-d', '/'];
  const exec = runtime.interpreter ? [runtimePath(runtime.interpreter), '--library-path', RUNTIME_DIR, runtimePath(runtime.server), ...server] : [runtimePath(runtime.server), ...server];

  // Removing a start-up file from a directory of the job's tree changes its mtime back: set it again.
  const retouch = ancestors.filter((a) => startup.some((f) => dirname(f.at) === a.path));
  // What to remove: the outermost directories made for start-up files only, and start-up files elsewhere.
  const removed = [...startupDirs, ...startup.map((f) => f.at)].filter((p) => !startupDirs.has(dirname(p)));
  const hideScript = [
    'R=$1; shift',
    'while [ "$1" != "--" ]; do umount -l -- "$R$1" || exit 1; shift; done; shift',
    'while [ "$1" != "--" ]; do rm -rf -- "$R$1" || exit 1; shift; done; shift',
    'while [ $# -gt 0 ]; do touch -h -d "@$2" -- "$R$1" || exit 1; shift 2; done',
  ].join('\n');
  return {
    command: 'unshare',
    args: ['--mount', '--propagation', 'private', 'sh', '-c', SCRIPT, 'backstop-export', root, ...ops, '--', ...exec],
    hide: (pid) => ({
      command: 'nsenter',
      args: ['--target', String(pid), '--mount', 'sh', '-c', hideScript, 'backstop-export', root, ...startup.map((f) => f.at), '--', ...removed, '--', ...retouch.flatMap((a) => [a.path, String(a.mtime)])],
    }),
  };
}

/** What `ldd <binary>` names: the libraries to resolve and the interpreter. */
export function parseLdd(output: string): { interpreter: string | null; libraries: string[] } {
  let interpreter: string | null = null;
  const libraries: string[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    const arrow = /^(\S+) => (\/\S+) \(0x[0-9a-f]+\)$/.exec(line);
    // Where /lib64 links into /usr, ldd names the loader by both paths: still the interpreter.
    if (arrow && arrow[1]!.startsWith('/')) interpreter = arrow[2]!;
    else if (arrow) libraries.push(arrow[2]!);
    else {
      const direct = /^(\/\S+) \(0x[0-9a-f]+\)$/.exec(line);
      if (direct) interpreter = direct[1]!;
    }
  }
  return { interpreter, libraries };
}
