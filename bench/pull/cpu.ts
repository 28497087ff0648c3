// CPU time of the processes a run involves, from /proc: utime + stime (every thread of the
// process) read before and after, and every `intervalMs` while the run goes.
//
// Roots are long-lived processes given by PID (the agent and the server-worker node
// processes): their figure is the difference of two readings, exact. Every process that
// appears below a root during the run (restic, sshfs, sftp-server, unshare/sh/mount helpers)
// is followed from the first sighting, even once re-parented (sshfs outlives the shell that
// started it), and counted from zero if it started after the first reading. Such a process's
// last moments before it exits (under one interval) are not seen: its figure is a lower bound.
// The machine's whole busy time (/proc/stat) is read too, so whatever else ran (the Temporal
// dev server, PostgreSQL, the API, this bench process, other load) shows as the remainder.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ; `getconf CLK_TCK` is 100 on Linux for every architecture in use.

interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime, ticks. */
  ticks: number;
  /** Start time since boot, ticks: with the PID, names one process. */
  start: number;
}

function readStat(pid: number): ProcStat | null {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // comm is in parentheses and may itself hold spaces or parentheses.
  const open = raw.indexOf('(');
  const close = raw.lastIndexOf(')');
  const f = raw.slice(close + 2).split(' ');
  // Fields from 3 (state) on: ppid is 4, utime 14, stime 15, starttime 22.
  return { pid, comm: raw.slice(open + 1, close), ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), start: Number(f[19]) };
}

function allStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/** Busy and total CPU time of the whole machine, ticks (all CPUs). */
function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest is already in user).
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - v[3]! - v[4]!, total };
}

export interface CpuRoot {
  label: string;
  pid: number;
  /** Which of its children to follow (by command name); all when absent. */
  follow?: (comm: string) => boolean;
}

/** A followed process's name: its command name, but sftp-server runs through the dynamic loader. */
function nameOf(pid: number, comm: string): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (argv.some((a) => a.endsWith('/sftp-server'))) return 'sftp-server';
  } catch {
    /* gone */
  }
  return comm;
}

export interface CpuReport {
  wallMs: number;
  /** CPU seconds per root (label) and per child command name (comm), descendants of the roots. */
  roots: Array<{ label: string; cpuS: number }>;
  children: Array<{ comm: string; processes: number; cpuS: number }>;
  machineBusyS: number;
  /** CPUs' worth of time in the window (wall x CPUs). */
  machineCapacityS: number;
}

export class CpuSampler {
  private readonly rootStart = new Map<number, number>();
  /** Followed descendants: key pid:start -> first and last ticks seen, and its latest comm. */
  private readonly followed = new Map<string, { comm: string; name: string; first: number; last: number }>();
  private timer: NodeJS.Timeout | undefined;
  private machine0 = { busy: 0, total: 0 };
  private t0 = 0;
  private existing = new Set<string>();

  constructor(
    private readonly roots: CpuRoot[],
    private readonly intervalMs = 50,
  ) {}

  start(): void {
    const stats = allStats();
    // Processes already there at the start count from their current reading; new ones from zero.
    this.existing = new Set(stats.map((s) => `${s.pid}:${s.start}`));
    for (const r of this.roots) this.rootStart.set(r.pid, readStat(r.pid)?.ticks ?? NaN);
    this.machine0 = machineTicks();
    this.t0 = performance.now();
    this.scan(stats);
    this.timer = setInterval(() => this.scan(allStats()), this.intervalMs);
  }

  stop(): CpuReport {
    if (this.timer) clearInterval(this.timer);
    this.scan(allStats());
    const wallMs = performance.now() - this.t0;
    const m1 = machineTicks();
    const roots = this.roots.map((r) => ({ label: r.label, cpuS: ((readStat(r.pid)?.ticks ?? NaN) - this.rootStart.get(r.pid)!) / TICKS_PER_SECOND }));
    const byComm = new Map<string, { processes: number; ticks: number }>();
    for (const f of this.followed.values()) {
      const c = byComm.get(f.name) ?? { processes: 0, ticks: 0 };
      c.processes++;
      c.ticks += f.last - f.first;
      byComm.set(f.name, c);
    }
    const children = [...byComm].map(([comm, c]) => ({ comm, processes: c.processes, cpuS: c.ticks / TICKS_PER_SECOND })).sort((a, b) => b.cpuS - a.cpuS);
    const totalTicks = m1.total - this.machine0.total;
    // /proc/stat's first line sums every CPU: wall x CPUs, as measured.
    return { wallMs, roots, children, machineBusyS: (m1.busy - this.machine0.busy) / TICKS_PER_SECOND, machineCapacityS: totalTicks / TICKS_PER_SECOND };
  }

  private scan(stats: ProcStat[]): void {
    const children = new Map<number, ProcStat[]>();
    for (const s of stats) {
      const list = children.get(s.ppid) ?? [];
      list.push(s);
      children.set(s.ppid, list);
    }
    const below: ProcStat[] = [];
    const queue: number[] = [];
    for (const r of this.roots) {
      for (const c of children.get(r.pid) ?? []) {
        if (r.follow && !r.follow(c.comm)) continue;
        below.push(c);
        queue.push(c.pid);
      }
    }
    while (queue.length > 0) {
      for (const c of children.get(queue.shift()!) ?? []) {
        below.push(c);
        queue.push(c.pid);
      }
    }
    for (const s of below) {
      const key = `${s.pid}:${s.start}`;
      if (!this.followed.has(key)) this.followed.set(key, { comm: s.comm, name: nameOf(s.pid, s.comm), first: this.existing.has(key) ? s.ticks : 0, last: s.ticks });
    }
    // Every followed process still alive, wherever it now hangs in the tree.
    for (const s of stats) {
      const f = this.followed.get(`${s.pid}:${s.start}`);
      if (f) {
        f.last = s.ticks;
        // exec: unshare -> sh -> chroot -> restic, or -> the loader running sftp-server.
        if (f.comm !== s.comm) f.name = nameOf(s.pid, s.comm);
        f.comm = s.comm;
      }
    }
  }
}
