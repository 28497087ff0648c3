import { COMPONENT_CLASSES, killsByTarget, overlapCount, planChaos, type ChaosTarget } from './chaos-plan';
import { streamOf } from './prng';

const TARGETS: ChaosTarget[] = [
  ...['agent-1', 'agent-2', 'agent-3'].map((name) => ({ name, cls: 'agent' as const, restartEstimateMs: 3_000 })),
  ...['server-worker-1', 'server-worker-2'].map((name) => ({ name, cls: 'server-worker' as const, restartEstimateMs: 3_000 })),
  ...['api-1', 'api-2'].map((name) => ({ name, cls: 'api' as const, restartEstimateMs: 3_000 })),
  { name: 'temporal', cls: 'temporal', restartEstimateMs: 10_000 },
  { name: 'catalog-db', cls: 'catalog-db', restartEstimateMs: 2_000 },
];

const plan = (seed: number, kills: number, durationMs: number) => planChaos({ kills, durationMs, targets: TARGETS, random: streamOf(seed, 'chaos') });

describe('planChaos', () => {
  it('repeats itself for one seed and differs for another', () => {
    expect(plan(11, 40, 600_000)).toEqual(plan(11, 40, 600_000));
    expect(plan(11, 40, 600_000)).not.toEqual(plan(12, 40, 600_000));
  });

  it('plans every kill inside the soak, in time order, one per slot', () => {
    const events = plan(3, 300, 40 * 60_000);
    expect(events).toHaveLength(300);
    const slot = (40 * 60_000) / 300;
    events.forEach((e, i) => {
      expect(e.seq).toBe(i + 1);
      expect(e.atMs).toBeGreaterThanOrEqual(i * slot);
      expect(e.atMs).toBeLessThan((i + 1) * slot);
      expect(e.downMs).toBeGreaterThanOrEqual(500);
      expect(e.downMs).toBeLessThanOrEqual(5_000);
    });
  });

  it('hits every class equally often when nothing is down long, and every member', () => {
    const events = plan(5, 1_000, 4 * 3_600_000);
    const byClass = new Map<string, number>();
    for (const e of events) byClass.set(e.cls, (byClass.get(e.cls) ?? 0) + 1);
    for (const cls of COMPONENT_CLASSES) expect(byClass.get(cls)).toBe(200);
    expect([...killsByTarget(events).keys()].sort()).toEqual(TARGETS.map((t) => t.name).sort());
  });

  it('gives a short soak every class too, whatever the seed', () => {
    for (let seed = 0; seed < 200; seed++) {
      const classes = new Set(plan(seed, 20, 4 * 60_000).map((e) => e.cls));
      expect(classes.size).toBe(COMPONENT_CLASSES.length);
    }
  });

  it('never plans a kill of a member it expects still down from its last kill', () => {
    const events = plan(9, 100, 300_000);
    const upAgain = new Map<string, number>();
    for (const e of events) {
      const t = TARGETS.find((x) => x.name === e.target)!;
      expect(e.atMs).toBeGreaterThanOrEqual(upAgain.get(e.target) ?? 0);
      upAgain.set(e.target, e.atMs + e.downMs + t.restartEstimateMs);
    }
  });

  it('still plans every kill when everything is down (it then waits for the first back)', () => {
    const events = planChaos({ kills: 30, durationMs: 10_000, targets: TARGETS.slice(0, 2), random: streamOf(1, 'chaos') });
    expect(events).toHaveLength(30);
  });

  it('plans nothing for no kills, and refuses kills without targets', () => {
    expect(plan(1, 0, 60_000)).toEqual([]);
    expect(() => planChaos({ kills: 1, durationMs: 1_000, targets: [], random: streamOf(1, 'chaos') })).toThrow(/no targets/);
  });
});

describe('overlapCount', () => {
  it('counts the intervals of one side that share a moment with the other side', () => {
    const a = [
      { fromMs: 0, toMs: 10 },
      { fromMs: 20, toMs: 30 },
      { fromMs: 40, toMs: 50 },
    ];
    const b = [
      { fromMs: 5, toMs: 8 },
      { fromMs: 30, toMs: 35 },
      { fromMs: 45, toMs: 60 },
    ];
    // [20, 30) and [30, 35) only touch.
    expect(overlapCount(a, b)).toBe(2);
    expect(overlapCount(a, [])).toBe(0);
  });
});
