// The short crash soak of `npm test`: the same soak as `npm run soak` (test/production/soak/),
// sized to end in about six minutes on a two-core machine: 24 kill -9s over 4 minutes of
// per-minute schedules and manual runs on six jobs, then the drain and every check. The seed
// is drawn anew each time, so CI keeps trying new kill sequences; a failure names the seed
// and the command that replays it (BACKSTOP_SOAK_SEED=<seed> replays it here too).
import { randomBytes } from 'node:crypto';
import { runSoak, writeReport } from './soak/soak';
import { replayCommand, type SoakOptions } from './soak/soak-args';
import type { SoakReport } from './soak/soak-report';

jest.setTimeout(30 * 60_000);

const seed = process.env.BACKSTOP_SOAK_SEED ? Number(process.env.BACKSTOP_SOAK_SEED) : randomBytes(4).readUInt32BE(0);
const options: SoakOptions = { minutes: 4, kills: 24, jobs: 6, seed, keep: false, report: null };
let report: SoakReport;

beforeAll(async () => {
  const t0 = Date.now();
  report = await runSoak(options, {
    log: (line) => process.stderr.write(`[soak +${Math.round((Date.now() - t0) / 1000)}s] ${line}\n`),
    drainTimeoutMs: 10 * 60_000,
  });
  const file = `/tmp/backstop-soak-ci-${seed}.json`;
  process.stderr.write(`${writeReport(report, file)}\n\nreport: ${file}\n`);
});

it(`comes through ${options.kills} kill -9s with every check passing (replay: ${replayCommand(options)})`, () => {
  expect(report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`)).toEqual([]);
});

it('killed every kind of component and ran backups through the kills', () => {
  expect(report.chaos.done).toBeGreaterThanOrEqual(20);
  // The plan draws classes from a bag: each of the five gets its share (chaos-plan.ts).
  expect(Object.keys(report.chaos.byClass).sort()).toEqual(['agent', 'api', 'catalog-db', 'server-worker', 'temporal']);
  expect(report.runs.total).toBeGreaterThanOrEqual(20);
  expect(report.exposure.killsDuringRuns).toBeGreaterThan(0);
});
