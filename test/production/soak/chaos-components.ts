// The components of the production topology the chaos loop may kill -9, each with how to kill
// it, how to start it again (resolved once it is up: an API answers /v1/health, the Temporal
// frontend answers, PostgreSQL accepts connections after crash recovery) and whether its
// process is still there (for the supervisor that notices a process leaving on its own).
import { readFileSync, openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import type { Topology, Member } from '../support/topology';
import type { ChaosTarget, ComponentClass } from './chaos-plan';

export interface ChaosComponent extends ChaosTarget {
  kill(): Promise<void>;
  /** Starts it; resolves once it is up, throws if it did not come up. */
  start(): Promise<void>;
  /** Its process exists (not a zombie). Always true where that cannot be told (PostgreSQL). */
  alive(): boolean;
  /** The last lines of its log, for a report of why it left on its own. */
  logTail(): string;
}

/** How long each kind of component takes to be up again, for the plan (chaos-plan.ts); not a wait. */
const RESTART_ESTIMATE_MS: Record<ComponentClass, number> = {
  agent: 3_000,
  'server-worker': 4_000,
  api: 4_000,
  temporal: 10_000,
  'catalog-db': 2_000,
};

function processAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The last `bytes` of a log file, or '' when there is none. */
export function tailOf(file: string, bytes = 2_048): string {
  try {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(bytes, size));
      readSync(fd, buf, 0, buf.length, size - buf.length);
      return buf.toString('utf8').trim();
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

/** An API is up when it answers /v1/health directly (not through the balancer, which would hide it). */
async function untilHealthy(t: Topology, m: Member, index: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!m.running()) throw new Error(`${m.name} exited while starting`);
    try {
      await t.apis[index]!.health();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${m.name} not healthy after ${timeoutMs / 1000} s: ${(err as Error).message}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

const CLASS_OF: Record<Member['service'], ComponentClass> = { agent: 'agent', 'server-worker': 'server-worker', api: 'api' };

function memberComponent(t: Topology, m: Member): ChaosComponent {
  const cls = CLASS_OF[m.service];
  const apiIndex = [...t.members.values()].filter((x) => x.service === 'api').indexOf(m);
  return {
    name: m.name,
    cls,
    restartEstimateMs: RESTART_ESTIMATE_MS[cls],
    kill: () => m.kill9(),
    async start() {
      m.start();
      // Workers and agents have no endpoint of their own: spawned is up. Killing one while it
      // still starts is a case worth having too.
      if (cls === 'api') await untilHealthy(t, m, apiIndex, 120_000);
    },
    alive: () => m.running(),
    logTail: () => tailOf(join(t.dir, 'logs', `${m.name}.log`)),
  };
}

/** Every component of the topology the chaos loop may hit, members first. */
export function chaosComponents(t: Topology): ChaosComponent[] {
  return [
    ...[...t.members.values()].map((m) => memberComponent(t, m)),
    {
      name: 'temporal',
      cls: 'temporal',
      restartEstimateMs: RESTART_ESTIMATE_MS.temporal,
      kill: () => t.temporal.kill9(),
      start: () => t.temporal.start(),
      alive: () => processAlive(t.temporal.pid()),
      logTail: () => tailOf(join(t.dir, 'temporal-server.log')),
    },
    {
      name: 'catalog-db',
      cls: 'catalog-db',
      restartEstimateMs: RESTART_ESTIMATE_MS['catalog-db'],
      // Both block this process while they run (pg_ctl -w; the wait for the killed postmaster
      // to be gone): the balancers in this process pause for that second or two.
      kill: async () => t.catalogDb.kill9(),
      start: async () => t.catalogDb.start(),
      alive: () => true,
      logTail: () => '',
    },
  ];
}
