// The processes of this machine as /proc shows them, for tests and benches that look at a
// stack from outside: who is whose child, what each runs, which are zombies.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** The state letter of /proc/<pid>/stat (`Z` for a zombie). */
  state: string;
  /** The command line, arguments joined by spaces. */
  cmd: string;
}

/** Every process readable now; one that exits while it is read is left out. */
export function listProcesses(): ProcessInfo[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .flatMap((e) => {
      try {
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        // The command name in parentheses may hold spaces: the fields start after the last ')'.
        const [state = '', ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
        return [{ pid: Number(e), ppid: Number(ppid), state, cmd }];
      } catch {
        return [];
      }
    });
}

/** `root` and all its descendants, parents before children. */
export function processTree(root: number): ProcessInfo[] {
  const all = listProcesses();
  const found = all.filter((p) => p.pid === root);
  for (let i = 0; i < found.length; i++) found.push(...all.filter((p) => p.ppid === found[i]!.pid));
  return found;
}

/** The environment block of `pid` (NUL-separated), or null when it cannot be read. */
export function environOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return null;
  }
}
