// What a crash may leave behind once every Backstop process has been stopped gracefully,
// asked of the machine: processes that still belong to the soak (a restic, sshfs or
// sftp-server orphaned by a kill -9 and never reaped by a later attempt), mounts below the
// topology's directory, btrfs snapshots Backstop took and never released, and the agents'
// records of snapshots they still think they hold.
//
// Pull mode mounts its sshfs inside a private mount namespace of the server worker's
// (activities/server/pull/pull-commands.ts), so such a mount never shows in this process's
// mount table: one left behind shows as its sshfs process, which names the mount point below
// the topology's directory, and the process check finds it.
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { environOf, listProcesses } from '../../support/procfs';
import { subvolumes, type LoopFs } from '../../support/loop-fs';
import type { LeakFindings } from './soak-report';

/** Processes (other than `except`) whose command line, working directory or environment names `dir`. */
export function processesUsing(dir: string, except: ReadonlySet<number>): Array<{ pid: number; cmd: string }> {
  return listProcesses()
    .filter((p) => p.pid !== process.pid && !except.has(p.pid) && p.state !== 'Z')
    .filter((p) => {
      if (p.cmd.includes(dir)) return true;
      try {
        if (readlinkSync(`/proc/${p.pid}/cwd`).startsWith(dir)) return true;
      } catch {
        /* gone, or not ours to read */
      }
      return environOf(p.pid)?.includes(dir) ?? false;
    })
    .map((p) => ({ pid: p.pid, cmd: p.cmd }));
}

/** Mount points below `dir` in this process's mount namespace, except the soak's own. */
export function mountsBelow(dir: string, own: ReadonlySet<string>): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      // id parent major:minor root mount-point options [optional fields…] - fstype source super-options
      const parts = line.split(' ');
      const mountPoint = parts[4] ?? '';
      const fsType = parts[parts.indexOf('-', 6) + 1] ?? '?';
      // mountinfo escapes spaces and the like as octal.
      return { mountPoint: mountPoint.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))), fsType };
    })
    .filter((m) => m.mountPoint.startsWith(`${dir}/`) && !own.has(m.mountPoint))
    .map((m) => `${m.mountPoint} (${m.fsType})`);
}

/** btrfs snapshots Backstop took (`.backstop-snapshots/`) still on the soak's filesystem. */
function btrfsSnapshotsLeft(fs: LoopFs | null): string[] {
  return fs ? subvolumes(fs.mountPoint).filter((p) => p.includes('.backstop-snapshots/')).map((p) => `btrfs subvolume ${p}`) : [];
}

/** Snapshot records an agent keeps until it released the snapshot (activities/agent/snapshot/registry.ts). */
function snapshotRecordsLeft(topologyDir: string, agents: readonly string[]): string[] {
  return agents.flatMap((agent) => {
    const dir = join(topologyDir, agent, 'state', 'agents', agent, 'snapshots');
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => `${agent} still records snapshot ${f}`) : [];
  });
}

export function findLeaks(opts: { topologyDir: string; agents: readonly string[]; btrfs: LoopFs | null; exceptPids: ReadonlySet<number> }): LeakFindings {
  return {
    processes: processesUsing(opts.topologyDir, opts.exceptPids).map((p) => `${p.pid} ${p.cmd.slice(0, 240)}`),
    mounts: mountsBelow(opts.topologyDir, new Set(opts.btrfs ? [opts.btrfs.mountPoint] : [])),
    filesystemSnapshots: [...btrfsSnapshotsLeft(opts.btrfs), ...snapshotRecordsLeft(opts.topologyDir, opts.agents)],
  };
}
