// Stall detection by progress, not liveness: a watchdog fed with a progress fingerprint
// (files and bytes done, objects transferred, lines printed) that fires once the
// fingerprint has not changed for `timeoutMs`. A process that is alive, and an activity
// that heartbeats, prove nothing: only a changed fingerprint counts as progress.
//
// The clock is injected, so the decision is a pure function of the observations and the
// time; `start` drives it with a timer.

export interface StallClock {
  now(): number;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const systemClock: StallClock = {
  now: () => Date.now(),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

export interface StallWatchOptions {
  timeoutMs: number;
  /** Called once, when the fingerprint has not changed for `timeoutMs`. */
  onStall: (stalledForMs: number) => void;
  clock?: StallClock;
  /** Read on every check, for progress that arrives without an event (bytes a process reads). */
  sample?: () => string;
}

export class StallWatch {
  private fingerprint: string | undefined;
  private since: number;
  private timer: unknown;
  private fired = false;
  private readonly clock: StallClock;

  constructor(private readonly opts: StallWatchOptions) {
    this.clock = opts.clock ?? systemClock;
    this.since = this.clock.now();
  }

  /** Reports the current progress; only a fingerprint different from the last one resets the watch. */
  observe(fingerprint: string): void {
    if (fingerprint === this.fingerprint) return;
    this.fingerprint = fingerprint;
    this.since = this.clock.now();
  }

  /** How long the fingerprint has been unchanged (since start when nothing was observed). */
  unchangedForMs(): number {
    return this.clock.now() - this.since;
  }

  /** Fires `onStall` (once) if the watch has run out; returns whether it has. */
  check(): boolean {
    if (this.fired) return true;
    if (this.opts.sample) this.observe(this.opts.sample());
    const idle = this.unchangedForMs();
    if (idle < this.opts.timeoutMs) return false;
    this.fired = true;
    this.stop();
    this.opts.onStall(idle);
    return true;
  }

  /** Checks on a timer, often enough that a stall is noticed within ~1/10 of the timeout (at most 1 s late). */
  start(): this {
    const every = Math.max(10, Math.min(1_000, Math.floor(this.opts.timeoutMs / 10)));
    this.timer = this.clock.setInterval(() => this.check(), every);
    return this;
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearInterval(this.timer);
    this.timer = undefined;
  }

  get stalled(): boolean {
    return this.fired;
  }
}

/** `600000` → `10m0s`, `90500` → `1m30s`, `2500` → `2.5s`: Go-style, as restic and rclone print durations. */
export function formatDuration(ms: number): string {
  const totalSeconds = ms / 1000;
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds - h * 3600 - m * 60;
  const secs = Number.isInteger(s) ? String(s) : s.toFixed(1).replace(/\.0$/, '');
  if (h > 0) return `${h}h${m}m${Math.floor(s)}s`;
  if (m > 0) return `${m}m${Math.floor(s)}s`;
  return `${secs}s`;
}

/** 5_600_000_000 → `5.2 GiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** The reason an attempt fails with: `stalled: no progress for 10m0s after 1,234 files / 5.6 GiB (45%)`. */
export function stallReason(what: string | null, stalledForMs: number, lastProgress: string | null): string {
  const prefix = what ? `${what} stalled` : 'stalled';
  return `${prefix}: no progress for ${formatDuration(stalledForMs)}${lastProgress ? ` after ${lastProgress}` : ' (none reported)'}`;
}

/** Files and bytes done, as a stall reason quotes them. */
export function describeFilesBytes(p: { filesDone: number; bytesDone: number; percent?: number | null }): string {
  const pct = p.percent === undefined || p.percent === null ? '' : ` (${Math.floor(p.percent)}%)`;
  return `${p.filesDone.toLocaleString('en-US')} files / ${formatBytes(p.bytesDone)}${pct}`;
}
