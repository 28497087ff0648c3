// Carries out a chaos plan (chaos-plan.ts) against the running topology: at each planned
// moment, kill -9 the planned component, wait the planned down time, start it again and wait
// until it is up. Cycles of different components overlap freely; a component is never killed
// while its previous cycle is still under way (its kill waits, and counts as late).
//
// Alongside, a supervisor does what systemd or Kubernetes would in production: a process that
// exited without being killed is started again, and the exit is recorded with the last lines
// of its log (a crash is a finding, never hidden).
import { overlapCount, type DownInterval, type KillEvent } from './chaos-plan';
import type { ChaosComponent } from './chaos-components';
import type { ChaosFindings, KillRecord, SelfExit } from './soak-report';

type State = 'up' | 'cycling' | 'failed';

/** Starting again after a failed start: a port still held, a dependency still down. */
const START_ATTEMPTS = 5;

export class ChaosRunner {
  private readonly state = new Map<string, State>();
  private readonly down = new Map<string, DownInterval[]>();
  private readonly cycles: Array<Promise<void>> = [];
  private readonly records: KillRecord[] = [];
  private readonly selfExits: SelfExit[] = [];
  private readonly startFailures: SelfExit[] = [];
  private readonly restartFailures: string[] = [];
  private supervising: Promise<void> | null = null;
  private stopping = false;
  private t0 = Date.now();

  /** When the plan's clock started (epoch ms): kill times in the findings count from here. */
  get startedAt(): number {
    return this.t0;
  }

  constructor(
    private readonly components: readonly ChaosComponent[],
    private readonly log: (line: string) => void,
  ) {
    for (const c of components) {
      this.state.set(c.name, 'up');
      this.down.set(c.name, []);
    }
  }

  private since = () => Date.now() - this.t0;

  private component(name: string): ChaosComponent {
    const c = this.components.find((x) => x.name === name);
    if (!c) throw new Error(`the plan names ${name}, which the topology does not have`);
    return c;
  }

  /** Starts a component, again and again if need be; throws after the last attempt. */
  private async startWithRetries(c: ChaosComponent): Promise<void> {
    let last: unknown;
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      try {
        await c.start();
        return;
      } catch (err) {
        last = err;
        this.log(`${c.name}: start attempt ${attempt} failed: ${(err as Error).message}`);
        this.startFailures.push({ member: c.name, atMs: this.since(), logTail: `${(err as Error).message}\n${c.logTail()}` });
        // A half-started process (not healthy in time) goes before the next attempt, which
        // comes after a growing pause, as a supervisor's restart delay (systemd's RestartSec).
        await c.kill().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 1_000 * attempt));
      }
    }
    throw last;
  }

  /** Up again (resolved), or given up on (rejected with the reason, recorded). */
  private async bringBack(c: ChaosComponent, downFrom: number): Promise<void> {
    try {
      await this.startWithRetries(c);
      this.down.get(c.name)!.push({ fromMs: downFrom, toMs: this.since() });
      this.state.set(c.name, 'up');
    } catch (err) {
      this.down.get(c.name)!.push({ fromMs: downFrom, toMs: Infinity });
      this.state.set(c.name, 'failed');
      this.restartFailures.push(`${c.name}: ${(err as Error).message}`);
      throw err;
    }
  }

  private async cycle(e: KillEvent): Promise<void> {
    const c = this.component(e.target);
    const record: KillRecord = { seq: e.seq, target: e.target, cls: e.cls, plannedAtMs: e.atMs, killedAtMs: null, downMs: e.downMs, upAtMs: null };
    this.records.push(record);
    // The previous cycle of this component (or the supervisor's restart) ends first.
    while (this.state.get(c.name) === 'cycling') await new Promise((r) => setTimeout(r, 100));
    if (this.state.get(c.name) === 'failed') return;
    this.state.set(c.name, 'cycling');
    record.killedAtMs = this.since();
    await c.kill();
    this.log(`kill #${e.seq} ${c.name} (down ${e.downMs} ms${record.killedAtMs - e.atMs > 1_000 ? `, ${Math.round((record.killedAtMs - e.atMs) / 1000)} s late` : ''})`);
    // The down time is the plan's random delay: what the chaos is made of, not a guess at a duration.
    await new Promise((r) => setTimeout(r, e.downMs));
    await this.bringBack(c, record.killedAtMs).then(
      () => {
        record.upAtMs = this.since();
      },
      (err: unknown) => this.log(`${c.name} did not come back: ${(err as Error).message}`),
    );
  }

  /** Runs the plan from now; resolves once every kill has landed and every component is back (or given up on). */
  async run(plan: readonly KillEvent[]): Promise<void> {
    this.t0 = Date.now();
    this.startSupervisor();
    for (const e of plan) {
      if (this.stopping) break;
      const wait = this.t0 + e.atMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      this.cycles.push(this.cycle(e));
    }
    await Promise.all(this.cycles);
  }

  /** Stops planning further kills (the soak broke off); cycles under way still finish. */
  abort(): void {
    this.stopping = true;
  }

  private startSupervisor(): void {
    if (this.supervising) return;
    this.supervising = (async () => {
      while (!this.stopping) {
        for (const c of this.components) {
          if (this.state.get(c.name) !== 'up' || c.alive()) continue;
          const at = this.since();
          this.selfExits.push({ member: c.name, atMs: at, logTail: c.logTail() });
          this.log(`${c.name} exited on its own; starting it again`);
          this.state.set(c.name, 'cycling');
          await this.bringBack(c, at).catch(() => undefined);
        }
        await new Promise((r) => setTimeout(r, 1_000));
      }
    })();
  }

  /** Ends the supervisor: from here the soak stops the components itself. */
  async stopSupervisor(): Promise<void> {
    this.stopping = true;
    await this.supervising;
    await Promise.all(this.cycles);
  }

  /** Every component whose last start failed. */
  failed(): string[] {
    return [...this.state].filter(([, s]) => s === 'failed').map(([n]) => n);
  }

  findings(planned: number): ChaosFindings {
    const done = this.records.filter((r) => r.killedAtMs !== null);
    const byClass: Record<string, number> = {};
    const byTarget: Record<string, number> = {};
    for (const r of done) {
      byClass[r.cls] = (byClass[r.cls] ?? 0) + 1;
      byTarget[r.target] = (byTarget[r.target] ?? 0) + 1;
    }
    const intervals = (name: string) => this.down.get(name) ?? [];
    const names = (cls: string) => this.components.filter((c) => c.cls === cls).map((c) => c.name);
    const pairOverlaps = (cls: string) => {
      const [a, b] = names(cls);
      return a && b ? overlapCount(intervals(a), intervals(b)) : 0;
    };
    return {
      planned,
      done: done.length,
      byClass,
      byTarget,
      late: done.filter((r) => r.killedAtMs! - r.plannedAtMs > 1_000).length,
      bothApisDown: pairOverlaps('api'),
      bothWorkersDown: pairOverlaps('server-worker'),
      restartFailures: [...this.restartFailures],
      startFailures: [...this.startFailures],
      selfExits: [...this.selfExits],
      kills: [...this.records].sort((x, y) => x.seq - y.seq),
    };
  }
}
