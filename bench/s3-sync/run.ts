// Benchmark: Backstop's S3 sync (API → S3SyncWorkflow → rclone, then verification by
// listing both sides) against plain `rclone sync` of the same repository with the same
// transfer flags, each into its own empty bucket on a local SeaweedFS. Target: <= 1.05x.
//
//   npx tsx bench/s3-sync/run.ts [sizeMiB=384] [transfers=4]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../test/support/tools';

// The project's restic, rclone and weed first, as jest.config.js does for the tests.
process.env.PATH = [join(ROOT, '.tools', 'bin'), join(ROOT, '.tools', 'venv', 'bin'), process.env.PATH].join(':');

import { startPostgres } from '../../test/support/postgres';
import { startStack } from '../../test/support/stack';
import { startS3 } from '../../test/support/s3';
import { transferFlags } from '../../activities/sync/rclone';

const PASSWORD = 'benchmark password, not a secret';

async function main(): Promise<void> {
  const sizeMiB = Number(process.argv[2] ?? 384);
  const transfers = Number(process.argv[3] ?? 4);
  const work = mkdtempSync(join(tmpdir(), 'backstop-bench-s3-'));
  const pg = await startPostgres();
  const s3 = await startS3();
  const stack = await startStack({ databaseUrl: pg.url, env: { BACKSTOP_LOG_LEVEL: 'warn' } });
  try {
    console.log(`dataset: ${sizeMiB} MiB of random data in 8 MiB files; backing it up through Backstop…`);
    const source = join(work, 'source');
    mkdirSync(source);
    for (let i = 0; i < sizeMiB / 8; i++) writeFileSync(join(source, `f${i}`), randomBytes(8 * 1024 * 1024));
    const repoPath = join(work, 'repo');
    const repo = await stack.api.createRepository({ name: 'bench', url: repoPath, password: PASSWORD });
    const job = await stack.api.createJob({ name: 'bench', agent: 'local', repositoryId: repo.id, paths: [source] });
    const backup = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 30 * 60_000 });
    if (backup.status !== 'succeeded') throw new Error(`backup ${backup.status}: ${backup.failureReason}`);
    await s3.createBucket('bench-plain');
    await s3.createBucket('bench-backstop');

    // Same flags for both: what to copy and how (transfers, no bandwidth limit, no checksum).
    const flags = transferFlags({ bandwidthLimit: null, transfers, checksum: false });
    const t0 = process.hrtime.bigint();
    await s3.rclone(['sync', `${repoPath}/`, 's3:bench-plain/repo/', ...flags]);
    const plainSeconds = Number(process.hrtime.bigint() - t0) / 1e9;

    await stack.api.putS3SyncTarget(repo.id, { endpoint: s3.endpoint, bucket: 'bench-backstop', prefix: 'repo', accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, transfers });
    const t1 = process.hrtime.bigint();
    const accepted = await stack.api.runS3Sync(repo.id);
    const synced = await stack.api.waitForRun(accepted.runId, { timeoutMs: 30 * 60_000, pollMs: 50 });
    const backstopSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
    if (synced.status !== 'succeeded') throw new Error(`sync ${synced.status}: ${synced.failureReason}`);
    const d = synced.details as unknown as { sync: { objectsTransferred: number; bytesTransferred: number; elapsedSeconds: number }; verification: { ok: boolean; localObjects: number } };

    const plain = await s3.list('bench-plain', 'repo');
    const mirrored = await s3.list('bench-backstop', 'repo');
    const bytes = [...plain.values()].reduce((n, v) => n + v, 0);
    const mib = bytes / 1024 / 1024;
    const ratio = backstopSeconds / plainSeconds;
    console.log('');
    console.log(`S3 sync of a ${mib.toFixed(0)} MiB restic repository (${plain.size} objects), --transfers ${transfers}, SeaweedFS on loopback`);
    console.table([
      { variant: 'plain rclone sync', seconds: plainSeconds.toFixed(2), objects: plain.size, 'MiB/s': (mib / plainSeconds).toFixed(1) },
      {
        variant: 'Backstop S3 sync (API → workflow → rclone → verify)',
        seconds: backstopSeconds.toFixed(2),
        objects: mirrored.size,
        'MiB/s': (mib / backstopSeconds).toFixed(1),
      },
    ]);
    console.log(`rclone inside Backstop: ${d.sync.elapsedSeconds.toFixed(2)} s for ${d.sync.objectsTransferred} objects; verification ${d.verification.ok ? 'passed' : 'FAILED'} (${d.verification.localObjects} objects)`);
    console.log(`ratio Backstop / plain: ${ratio.toFixed(3)}x  (target <= 1.05x: ${ratio <= 1.05 ? 'met' : 'NOT met'})`);
    if (plain.size !== mirrored.size) throw new Error('the two buckets differ');
  } finally {
    await stack.stop();
    await s3.stop();
    await pg.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
