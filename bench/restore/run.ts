// Benchmark: a Backstop restore against plain `restic restore` of the same snapshot (issue 3).
//
// One run, on a generated dataset (default 1 GiB, 5,000 mixed-size files, cached under
// .bench/datasets/): back it up once through Backstop, then restore the snapshot
//   - plainly: the agent's restic binary and argv shape (restoreCommandArgs: --json,
//     --target, --verify, snapshot after --) and environment (resticEnv), spawned through
//     the same runProcess the agent uses, into a fresh directory;
//   - through Backstop: POST /v1/snapshots/{id}/restore (default target, verify on) on the
//     real stack, timed until the workflow's result arrives from Temporal.
// Both sides verify (restic --verify), so they do the same work, and both read a page cache
// warmed by one unmeasured restore. Target: ratio <= 1.05x. Then the same restore with the
// engine on the server worker (via: server: restic dump streamed as tar to the agent, verified
// by a second stream into tar --compare), printed beside it without a target.
//
// Environment: BENCH_SIZE_MB (1024), BENCH_FILES (5000), BENCH_KEEP=1 keeps the work dir.
// Exits non-zero only on errors; a missed target prints MISS.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { projectToolsFirstOnPath } from '../support/lifecycle';
import { performance } from 'node:perf_hooks';
import { startPostgres, type Postgres } from '../../test/support/postgres';
import { startStack, type Stack } from '../../test/support/stack';
import { resticEnv } from '../../activities/shared/engines/restic/args';
import { restoreCommandArgs } from '../../activities/shared/engines/restic/restore-args';
import { runProcess } from '../../activities/shared/process';
import { hashTree } from '../../workers/embedded/sample';
import { ensureDataset } from '../support/dataset';
import type { RestoreWorkflowResult } from '../../contract/workflows';

const ROOT = resolve(__dirname, '..', '..');
const RESTIC = join(ROOT, '.tools', 'bin', 'restic');
const PASSWORD = 'restore-bench-password';
const TARGET_RATIO = 1.05;

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

async function main(): Promise<void> {
  // The project's tools first on PATH, as jest.config.js does for the tests, so the agent
  // runs the same restic 0.18 as the plain side (Debian's 0.14 has no restore --json).
  projectToolsFirstOnPath();
  const sizeMb = envInt('BENCH_SIZE_MB', 1024);
  const files = envInt('BENCH_FILES', 5000);
  const dataset = ensureDataset({ totalBytes: sizeMb * 1024 * 1024, files }, join(ROOT, '.bench', 'datasets'), log);
  const work = mkdtempSync(join(tmpdir(), 'backstop-bench-restore-'));
  const restores = join(work, 'restores');
  mkdirSync(restores);
  let pg: Postgres | undefined;
  let stack: Stack | undefined;
  try {
    pg = await startPostgres();
    stack = await startStack({ databaseUrl: pg.url, env: { BACKSTOP_RESTORE_ROOTS: restores } });
    const repoUrl = join(work, 'repo');
    const repo = await stack.api.createRepository({ name: 'bench', url: repoUrl, password: PASSWORD });
    const job = await stack.api.createJob({ name: 'bench', agent: 'local', repositoryId: repo.id, paths: [dataset.dir] });
    log(`backing up ${dataset.files} files, ${(dataset.bytes / 2 ** 20).toFixed(0)} MiB`);
    const backup = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 60 * 60_000 });
    if (backup.status !== 'succeeded' || !backup.snapshotId) throw new Error(`backup ${backup.status}: ${backup.failureReason}`);
    const snapshotId = backup.snapshotId;

    // One unmeasured restore first, so both measured runs read a warm page cache: otherwise
    // whichever side goes first pays for reading the repository from disk.
    const warm = await runProcess(RESTIC, restoreCommandArgs(snapshotId, join(work, 'warm-up')), { env: resticEnv(repoUrl, PASSWORD, {}, join(work, 'plain-cache')) });
    if (warm.exitCode !== 0) throw new Error(`warm-up restore failed (exit ${warm.exitCode}): ${warm.stderrTail.slice(-500)}`);
    rmSync(join(work, 'warm-up'), { recursive: true, force: true });

    // Plain restic, as the agent would run it, minus Backstop.
    const plainTarget = join(work, 'plain');
    const t0 = performance.now();
    const r = await runProcess(RESTIC, restoreCommandArgs(snapshotId, plainTarget, { verify: true }), {
      env: resticEnv(repoUrl, PASSWORD, {}, join(work, 'plain-cache')),
    });
    const plainMs = performance.now() - t0;
    if (r.exitCode !== 0) throw new Error(`plain restic restore failed (exit ${r.exitCode}): ${r.stderrTail.slice(-500)}`);

    // Backstop: request to workflow result, with the engine on the agent (the default here)
    // and on the server worker streaming into the agent (via: server, issue 13).
    const timedRestore = async (body: { via?: 'agent' | 'server' }): Promise<{ ms: number; result: RestoreWorkflowResult }> => {
      const t = performance.now();
      const { workflowId } = await stack!.api.restoreSnapshot(snapshotId, body);
      const result = (await stack!.temporal.workflow.getHandle(workflowId).result()) as RestoreWorkflowResult;
      const ms = performance.now() - t;
      if (result.status !== 'succeeded' || !result.target) throw new Error(`Backstop restore ${JSON.stringify(body)} ${result.status}: ${result.failureReason}`);
      return { ms, result };
    };
    const { ms: backstopMs, result } = await timedRestore({});
    const { ms: serverMs, result: serverResult } = await timedRestore({ via: 'server' });

    const source = hashTree(dataset.dir);
    for (const [what, dir] of [['plain', join(plainTarget, dataset.dir)], ['backstop', join(result.target!, dataset.dir)], ['backstop via server', join(serverResult.target!, dataset.dir)]] as const) {
      const restored = hashTree(dir);
      if (restored.size !== source.size || [...source].some(([f, h]) => restored.get(f) !== h)) throw new Error(`${what} restore is not byte-equal to the source`);
    }

    const ratio = backstopMs / plainMs;
    console.log(`restore of ${dataset.files} files, ${(dataset.bytes / 2 ** 20).toFixed(0)} MiB (both with --verify, both byte-equal):`);
    console.log(`  plain restic restore: ${(plainMs / 1000).toFixed(2)} s`);
    console.log(`  Backstop restore:     ${(backstopMs / 1000).toFixed(2)} s   (restic inside it: ${result.summary?.filesRestored ?? 0} files restored, ${result.summary?.filesSkipped ?? 0} skipped)`);
    console.log(`  ratio: ${ratio.toFixed(3)}x   target <= ${TARGET_RATIO}x   ${ratio <= TARGET_RATIO ? 'OK' : 'MISS'}`);
    // No target in the issue: restic dump → TLS → tar on the agent, then the same again for tar --compare.
    console.log(`  Backstop via server:  ${(serverMs / 1000).toFixed(2)} s   (${serverResult.summary?.filesRestored ?? 0} entries; verified by tar --compare)   ratio: ${(serverMs / plainMs).toFixed(3)}x (no target)`);
  } finally {
    await stack?.stop();
    await pg?.stop();
    if (process.env.BENCH_KEEP !== '1') rmSync(work, { recursive: true, force: true });
    else log(`kept ${work}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
