// The chaos loop's plan, made up front from the seed (pure): when each kill -9 lands, which
// component it hits and how long that component stays down before it is started again. A
// plan, rather than choices made while the soak runs, replays exactly: the same seed gives
// the same kills whatever the machine's speed.
//
// Moments: the run is cut into one slot per kill and each kill lands at a random moment of
// its slot, so kills spread over the whole soak (never all in its first minute) yet come at
// irregular moments, sometimes seconds apart across a slot boundary.
//
// Targets: first a class (agent, server worker, API, Temporal server, catalog database), then
// one of its members. Classes are drawn from a bag holding each class once, refilled when
// empty: every class gets its fifth of the kills, even in a short soak of 20, in random order. A member still down from an earlier kill
// (by the plan's estimate of its restart) is not picked; its sibling may be, so both APIs or
// both server workers are sometimes down at once. That is on purpose: every run is a durable
// workflow, agents and clients retry, so the system must come through a moment with no API
// or no server worker at all, only later.

export const COMPONENT_CLASSES = ['agent', 'server-worker', 'api', 'temporal', 'catalog-db'] as const;
export type ComponentClass = (typeof COMPONENT_CLASSES)[number];

export interface ChaosTarget {
  /** `agent-2`, `api-1`, `temporal`, `catalog-db`, … */
  name: string;
  cls: ComponentClass;
  /** About how long it takes to be up again once started (the plan's estimate, not a wait). */
  restartEstimateMs: number;
}

export interface KillEvent {
  /** 1, 2, … in time order. */
  seq: number;
  /** From the start of the chaos. */
  atMs: number;
  target: string;
  cls: ComponentClass;
  /** Between the kill and the start. */
  downMs: number;
}

export interface ChaosPlanOptions {
  durationMs: number;
  kills: number;
  targets: readonly ChaosTarget[];
  /** Random down time between kill and restart, in ms, both included; default 500–5,000. */
  downMs?: readonly [number, number];
  /** Draws the plan's random numbers (from the seed's 'chaos' stream). */
  random: { next(): number; int(min: number, max: number): number; pick<T>(items: readonly T[]): T };
}

export const DEFAULT_DOWN_MS: readonly [number, number] = [500, 5_000];

export function planChaos(o: ChaosPlanOptions): KillEvent[] {
  if (o.targets.length === 0 && o.kills > 0) throw new Error('no targets to kill');
  const [minDown, maxDown] = o.downMs ?? DEFAULT_DOWN_MS;
  const slot = o.durationMs / Math.max(1, o.kills);
  /** When each target is expected to be up again after its last planned kill. */
  const busyUntil = new Map<string, number>(o.targets.map((t) => [t.name, -Infinity]));
  const events: KillEvent[] = [];
  const present = COMPONENT_CLASSES.filter((c) => o.targets.some((t) => t.cls === c));
  let bag: ComponentClass[] = [];
  for (let i = 0; i < o.kills; i++) {
    const atMs = Math.floor((i + o.random.next()) * slot);
    const free = o.targets.filter((t) => busyUntil.get(t.name)! <= atMs);
    if (bag.length === 0) bag = [...present];
    let target: ChaosTarget;
    if (free.length > 0) {
      // A class of the bag with a member up; if none of the bag's has one, any class with one.
      const fromBag = bag.filter((c) => free.some((t) => t.cls === c));
      const cls = o.random.pick(fromBag.length > 0 ? fromBag : present.filter((c) => free.some((t) => t.cls === c)));
      bag = bag.filter((c) => c !== cls);
      target = o.random.pick(free.filter((t) => t.cls === cls));
    } else {
      // Everything is still coming back (a very dense plan): the one back soonest; the chaos
      // loop waits for it to be up before it kills it again.
      target = [...o.targets].sort((a, b) => busyUntil.get(a.name)! - busyUntil.get(b.name)!)[0]!;
    }
    const downMs = o.random.int(minDown, maxDown);
    busyUntil.set(target.name, Math.max(atMs, busyUntil.get(target.name)!) + downMs + target.restartEstimateMs);
    events.push({ seq: i + 1, atMs, target: target.name, cls: target.cls, downMs });
  }
  return events;
}

/** Planned kills per member: the table's "planned" column. */
export function killsByTarget(events: readonly KillEvent[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of events) out.set(e.target, (out.get(e.target) ?? 0) + 1);
  return out;
}

/** A stretch of time a component was down: killed at `fromMs`, up again at `toMs`. */
export interface DownInterval {
  fromMs: number;
  toMs: number;
}

/** How many of `a`'s down intervals overlap one of `b`'s: moments when both were down at once. */
export function overlapCount(a: readonly DownInterval[], b: readonly DownInterval[]): number {
  return a.filter((x) => b.some((y) => x.fromMs < y.toMs && y.fromMs < x.toMs)).length;
}
