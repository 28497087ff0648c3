// Benchmark: Backstop's S3 sync (API → S3SyncWorkflow → rclone, then verification by
// listing both sides) against plain `rclone sync` of the same repository with the same
// transfer flags. Target: median ratio <= 1.05x.
//
// Each sample syncs into a fresh empty bucket on a local SeaweedFS, so every sample is a
// full upload. Sides alternate which goes first in each pair (P B, B P, …), so neither
// always gets the warmer machine. Backstop's time runs from just before
// `POST /v1/repositories/{id}/sync` until the workflow's result arrives from Temporal (no
// polling); where the time beyond rclone's own run goes is read from the workflow history.
//
// Environment: BENCH_SIZE_MB (1024; a restic repository of random data in 8 MiB files),
// BENCH_PAIRS (3), BENCH_TRANSFERS (4). Exits non-zero only on errors; a missed target
// prints MISS.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startPostgres } from '../../test/support/postgres';
import { startStack } from '../../test/support/stack';
import { startS3 } from '../../test/support/s3';
import { transferFlags } from '../../activities/server/sync/rclone';
import { timelineOf } from '../support/timeline';
import { envInt, log, projectToolsFirstOnPath, runBench } from '../support/lifecycle';
import type { S3SyncWorkflowResult } from '../../contract/workflows';
import { median, verdict } from '../support/stats';

// The project's restic, rclone and weed, before anything runs.
projectToolsFirstOnPath();

const PASSWORD = 'benchmark password, not a secret';
const TARGET_RATIO = 1.05;


interface Sample {
  order: string;
  plainMs: number;
  backstopMs: number;
  /** rclone's own elapsed time inside Backstop, as its last stats line says. */
  rcloneInBackstopMs: number;
  /** Activity run times from the workflow history. */
  syncMs: number;
  verifyMs: number;
  /** Everything else in the workflow: lock, catalog steps, workflow tasks. */
  orchestrationMs: number;
  /** Client clock: POST sent → workflow started, and workflow closed → result received. */
  edgesMs: number;
}

async function main(): Promise<void> {
  const sizeMiB = envInt('BENCH_SIZE_MB', 1024, 8);
  const pairs = envInt('BENCH_PAIRS', 3, 1);
  const transfers = envInt('BENCH_TRANSFERS', 4, 1);
  const work = mkdtempSync(join(tmpdir(), 'backstop-bench-s3-'));
  const pg = await startPostgres();
  const s3 = await startS3();
  const stack = await startStack({ databaseUrl: pg.url, env: { BACKSTOP_LOG_LEVEL: 'warn' } });
  try {
    log(`dataset: ${sizeMiB} MiB of random data in 8 MiB files; backing it up through Backstop…`);
    const source = join(work, 'source');
    mkdirSync(source);
    for (let i = 0; i < sizeMiB / 8; i++) writeFileSync(join(source, `f${i}`), randomBytes(8 * 1024 * 1024));
    const repoPath = join(work, 'repo');
    const repo = await stack.api.createRepository({ name: 'bench', url: repoPath, password: PASSWORD });
    const job = await stack.api.createJob({ name: 'bench', agent: 'local', repositoryId: repo.id, paths: [source] });
    const backup = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 30 * 60_000 });
    if (backup.status !== 'succeeded') throw new Error(`backup ${backup.status}: ${backup.failureReason}`);
    rmSync(source, { recursive: true, force: true });

    // Same flags for both: what to copy and how (transfers, no bandwidth limit, no checksum).
    const flags = transferFlags({ bandwidthLimit: null, transfers, checksum: false });
    let objects = 0;
    let bytes = 0;

    const plain = async (i: number): Promise<number> => {
      await s3.createBucket(`plain-${i}`);
      const t0 = performance.now();
      await s3.rclone(['sync', `${repoPath}/`, `s3:plain-${i}/repo/`, ...flags]);
      const ms = performance.now() - t0;
      const listing = await s3.list(`plain-${i}`, 'repo');
      objects = listing.size;
      bytes = [...listing.values()].reduce((n, v) => n + v, 0);
      return ms;
    };
    const backstop = async (i: number) => {
      await s3.createBucket(`backstop-${i}`);
      await stack.api.putS3SyncTarget(repo.id, { endpoint: s3.endpoint, bucket: `backstop-${i}`, prefix: 'repo', accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, transfers });
      const t0 = performance.now();
      const accepted = await stack.api.runS3Sync(repo.id);
      const handle = stack.temporal.workflow.getHandle(accepted.workflowId);
      const result = (await handle.result()) as S3SyncWorkflowResult;
      const ms = performance.now() - t0;
      if (result.status !== 'succeeded') throw new Error(`sync ${result.status}: ${result.failureReason}`);
      const mirrored = await s3.list(`backstop-${i}`, 'repo');
      if (mirrored.size !== objects) throw new Error(`bucket backstop-${i} has ${mirrored.size} objects, the plain mirror ${objects}`);
      const history = await handle.fetchHistory();
      const tl = timelineOf(history.events ?? []);
      const run = (name: string) => tl.activities.filter((a) => a.name === name).reduce((n, a) => n + a.queueMs + a.runMs, 0);
      return {
        ms,
        rcloneMs: (result.sync?.elapsedSeconds ?? 0) * 1000,
        syncMs: run('runS3Sync'),
        verifyMs: run('verifyS3Sync'),
        orchestrationMs: tl.workflowMs - run('runS3Sync') - run('verifyS3Sync'),
        edgesMs: ms - tl.workflowMs,
      };
    };

    // One unmeasured round each warms the page cache, rclone's and the workers' code paths.
    log('warm-up round');
    await plain(0);
    await backstop(0);

    const samples: Sample[] = [];
    for (let i = 1; i <= pairs; i++) {
      const plainFirst = i % 2 === 1;
      let plainMs = 0;
      let b: Awaited<ReturnType<typeof backstop>>;
      if (plainFirst) {
        plainMs = await plain(i);
        b = await backstop(i);
      } else {
        b = await backstop(i);
        plainMs = await plain(i);
      }
      samples.push({
        order: plainFirst ? 'plain first' : 'backstop first',
        plainMs,
        backstopMs: b.ms,
        rcloneInBackstopMs: b.rcloneMs,
        syncMs: b.syncMs,
        verifyMs: b.verifyMs,
        orchestrationMs: b.orchestrationMs,
        edgesMs: b.edgesMs,
      });
      log(`pair ${i}/${pairs}: plain ${(plainMs / 1000).toFixed(2)} s, Backstop ${(b.ms / 1000).toFixed(2)} s`);
    }

    const mib = bytes / 1024 / 1024;
    console.log('');
    console.log(`S3 sync of a ${mib.toFixed(0)} MiB restic repository (${objects} objects), --transfers ${transfers}, SeaweedFS on loopback, ${pairs} pairs`);
    const s = (ms: number) => (ms / 1000).toFixed(2);
    console.table(
      samples.map((x) => ({
        order: x.order,
        'plain rclone s': s(x.plainMs),
        'Backstop s': s(x.backstopMs),
        ratio: (x.backstopMs / x.plainMs).toFixed(3),
        'rclone in Backstop s': s(x.rcloneInBackstopMs),
        'sync step s': s(x.syncMs),
        'verify step s': s(x.verifyMs),
        'orchestration s': s(x.orchestrationMs),
        'API/client edges s': s(x.edgesMs),
      })),
    );
    const plainMed = median(samples.map((x) => x.plainMs));
    const backstopMed = median(samples.map((x) => x.backstopMs));
    const ratio = median(samples.map((x) => x.backstopMs / x.plainMs));
    console.log(`median: plain ${s(plainMed)} s (${(mib / (plainMed / 1000)).toFixed(1)} MiB/s), Backstop ${s(backstopMed)} s; overhead ${(backstopMed - plainMed).toFixed(0)} ms, of which verification ${median(samples.map((x) => x.verifyMs)).toFixed(0)} ms`);
    console.log(`median ratio Backstop / plain: ${ratio.toFixed(3)}x  target <= ${TARGET_RATIO}x: ${verdict(ratio <= TARGET_RATIO)}`);
  } finally {
    await stack.stop();
    await s3.stop();
    await pg.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

runBench(main);
