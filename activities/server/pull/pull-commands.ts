// The engine's view in pull mode, as data.
//
// restic records the paths it reads. To record the agent's original paths (/srv/www, not
// /var/lib/backstop/pull/…/srv/www) it runs chrooted into a root built for it in a private
// mount namespace: a tmpfs where every entry of the server's own / is bound as it is (the
// engine still finds its binary, its repository, its cache, /etc, /proc), except along the
// job's paths — there the directories are made afresh with the owners, modes and mtimes of
// the agent's (as the export shows them) and the job's paths themselves are the export's.
// Nothing of it is visible outside the namespace, and it vanishes with its last process.
//
// The same script first mounts the export: sshfs reads SFTP from fd 3, the mTLS channel.
import { dirname } from 'node:path';
import { ancestorsOf } from '../../shared/paths';
import { isInside } from '../../shared/restore-target';

export interface ServerDirEntry {
  name: string;
  kind: 'dir' | 'file' | 'symlink' | 'other';
}

/** Reads one directory of the server's filesystem; null when it is missing or not a directory. */
export type ListDir = (dir: string) => Promise<ServerDirEntry[] | null>;

const join = (dir: string, name: string) => (dir === '/' ? `/${name}` : `${dir}/${name}`);

/**
 * The operations that build the engine's root (pure but for `list`): the server's entries
 * mirrored level by level, the job's paths grafted from the export, their ancestors given the
 * export's metadata once their content is in place.
 */
export async function engineRootOps(paths: string[], list: ListDir): Promise<string[]> {
  const ops: string[] = [];
  const targets = new Set(paths);
  const along = new Set(paths.flatMap(ancestorsOf));

  const level = async (dir: string): Promise<void> => {
    const onPath = new Set<string>();
    for (const p of [...targets, ...along]) {
      if (dirname(p) === dir) onPath.add(p);
    }
    for (const e of (await list(dir)) ?? []) {
      const path = join(dir, e.name);
      if (onPath.has(path)) continue;
      if (e.kind === 'dir') ops.push('mirror-dir', path);
      else if (e.kind === 'symlink') ops.push('mirror-link', path);
      else ops.push('mirror-file', path);
    }
    for (const p of [...onPath].sort()) {
      if (targets.has(p)) ops.push('graft', p);
      else {
        ops.push('dir', p);
        await level(p);
        ops.push('meta', p);
      }
    }
  };
  await level('/');
  return ops;
}

/**
 * `unshare … sh -c <script>`: mounts the export at `mountPoint` with sshfs over fd 3, builds
 * the engine's root at `root` from `ops`, then runs `command` chrooted there. sshfs's own
 * messages go to `sshfsLog`, so it holds none of the engine's output streams.
 */
export function pullCommand(mountPoint: string, root: string, sshfsLog: string, ops: string[], command: string, args: string[]): { command: string; args: string[] } {
  const script = [
    'M=$1; T=$2; L=$3; shift 3',
    // passive: SFTP on stdin/stdout (fd 3, the mTLS channel). no_contain_symlinks: absolute
    // and ../ targets are reported as they are (restic stores links, never follows them).
    'sshfs -f -o passive,ro,no_contain_symlinks,idmap=none backstop-export:/ "$M" <&3 >&3 2>>"$L" &',
    'fs=$!',
    'exec 3>&-',
    'n=0; until mountpoint -q -- "$M"; do kill -0 "$fs" 2>/dev/null || exit 95; n=$((n+1)); [ "$n" -lt 600 ] || exit 95; sleep 0.05; done',
    'mount -t tmpfs -o mode=0755 backstop-pull "$T" || exit 97',
    'while [ "$1" != "--" ]; do',
    '  case "$1" in',
    '    mirror-dir) mkdir -- "$T$2" && mount --rbind -- "$2" "$T$2" || exit 97; shift 2 ;;',
    '    mirror-file) : > "$T$2" && mount --bind -- "$2" "$T$2" || exit 97; shift 2 ;;',
    '    mirror-link) cp -P -- "$2" "$T$2" || exit 97; shift 2 ;;',
    '    dir) mkdir -- "$T$2" || exit 97; shift 2 ;;',
    '    graft)',
    '      if [ -L "$M$2" ]; then cp -P -- "$M$2" "$T$2" || exit 97',
    '      elif [ -d "$M$2" ]; then mkdir -- "$T$2" && mount --bind -- "$M$2" "$T$2" || exit 97',
    '      elif [ -e "$M$2" ]; then : > "$T$2" && mount --bind -- "$M$2" "$T$2" || exit 97',
    '      else echo "backstop: $2 is not in the export" >&2; exit 94; fi',
    '      shift 2 ;;',
    '    meta) chown --reference="$M$2" -- "$T$2" && chmod --reference="$M$2" -- "$T$2" && touch -r "$M$2" -- "$T$2" || exit 97; shift 2 ;;',
    '    *) exit 98 ;;',
    '  esac',
    'done',
    'shift',
    'exec chroot -- "$T" "$@"',
  ].join('\n');
  return { command: 'unshare', args: ['--mount', '--propagation', 'private', 'sh', '-c', script, 'backstop-pull', mountPoint, root, sshfsLog, ...ops, '--', command, ...args] };
}

/** Exit codes of the script before the engine runs, in words. */
export function pullSetupFailure(exitCode: number | null): string | null {
  switch (exitCode) {
    case 94:
      return 'a job path is missing from the agent export';
    case 95:
      return 'sshfs could not mount the agent export';
    case 97:
      return "building the engine's view of the export failed";
    case 98:
      return 'internal error in the pull-mode mount script';
    default:
      return null;
  }
}

/**
 * A job path that would hide something the engine needs from the server (its binary, the
 * repository, its cache or temporary directory) cannot be pulled: the engine would not find it.
 */
export function hiddenEngineNeeds(paths: string[], needs: string[]): Array<{ path: string; need: string }> {
  const out: Array<{ path: string; need: string }> = [];
  for (const path of paths) {
    for (const need of needs) if (isInside(need, path)) out.push({ path, need });
  }
  return out;
}
