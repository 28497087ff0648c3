// Benchmark: guest (VM disk) backups through a frozen view and dirty bitmaps, against restic
// run directly on the disk image, side by side in one run (issue 19's bench:guest).
//
// The disk: a qcow2 image of BENCH_DISK_GB (4) GiB of incompressible data, served by
// qemu-storage-daemon with the guest's writes going through a FUSE export of the same node
// (test/support/qemu-storage-daemon.ts). Between the full backup and the incremental, 1% of the
// disk's 64 KiB blocks (qcow2's cluster and QEMU's bitmap granularity), chosen at random over
// the whole disk, are rewritten through the guest; the same writes go to a raw copy of the
// image that the direct side backs up.
//
//   Backstop side: activities/agent/guest/guest-backup.ts backupGuest — the library the agent's
//   guest backup activity runs (freeze over QMP, nbdinfo map, NBD reads, segment stage,
//   `restic backup --parent … --ignore-inode --ignore-ctime`, the carried-over check) — not yet
//   the whole stack: guest jobs are not wired into the API and workflows yet.
//   Direct side: `restic backup --json <raw image>` into a repository of its own, the full and
//   then the incremental (restic re-reads the whole image and deduplicates).
//
// Reported: for each side, full and incremental wall time; for Backstop, bytes read from the
// disk (counted by its NBD reader); targets: incremental bytes read <= 2% of the disk,
// incremental time <= 10% of Backstop's full. Environment: BENCH_DISK_GB (4),
// BENCH_SEGMENT_KB (the default segment size for the disk), BENCH_CHANGED_PERCENT (1),
// BENCH_KEEP=1 keeps the work directory.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync, fsyncSync } from 'node:fs';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startGuestDisk } from '../../test/support/qemu-storage-daemon';
import { QmpClient } from '../../activities/agent/guest/qmp-client';
import { Restic } from '../../activities/shared/engines/restic/restic';
import { backupGuest } from '../../activities/agent/guest/guest-backup';
import { commitBitmaps } from '../../activities/agent/guest/guest-view';
import { defaultSegmentBytes } from '../../activities/shared/guest/segments';

// The project's restic (scripts/setup.sh) for both sides.
process.env.PATH = `${join(__dirname, '..', '..', '.tools', 'bin')}:${process.env.PATH}`;

const GiB = 1024 ** 3;
const BLOCK = 64 * 1024;
const size = Number(process.env.BENCH_DISK_GB ?? 4) * GiB;
const segmentBytes = process.env.BENCH_SEGMENT_KB ? Number(process.env.BENCH_SEGMENT_KB) * 1024 : defaultSegmentBytes(size);
const changedPercent = Number(process.env.BENCH_CHANGED_PERCENT ?? 1);
const PASSWORD = 'bench-guest';

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mib = (b: number) => `${(b / 1024 ** 2).toFixed(1)} MiB`;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  execFileSync('sync');
  const t0 = performance.now();
  const r = await fn();
  return [r, performance.now() - t0];
}

function resticDirect(repo: string, image: string): void {
  execFileSync('restic', ['backup', '--json', '--host', 'bench', '--', image], { env: { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: PASSWORD, RESTIC_CACHE_DIR: join(repo, '..', 'direct-cache') }, stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 30 });
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'backstop-bench-guest-'));
  console.log(`bench:guest — ${size / GiB} GiB disk, ${segmentBytes / 1024} KiB segments, ${changedPercent}% of 64 KiB blocks changed; work ${work}`);
  const raw = join(work, 'direct.raw');
  // Incompressible content, 64 MiB at a time (one buffer reused with a changing prefix would dedup).
  const fd = openSync(raw, 'w');
  for (let at = 0; at < size; at += 64 * 1024 ** 2) writeSync(fd, randomBytes(Math.min(64 * 1024 ** 2, size - at)), 0, undefined, at);
  fsyncSync(fd);
  closeSync(fd);
  const diskDir = join(work, 'disk');
  execFileSync('mkdir', ['-p', diskDir]);
  const disk = await startGuestDisk(diskDir, size, { from: raw });
  const qmp = await QmpClient.connect(disk.qmpSocket);
  const engine = new Restic({ cacheDir: join(work, 'guest-cache') });
  const repo = { url: join(work, 'repo-guest'), password: PASSWORD };
  await engine.init(repo);
  execFileSync('restic', ['init'], { env: { ...process.env, RESTIC_REPOSITORY: join(work, 'repo-direct'), RESTIC_PASSWORD: PASSWORD }, stdio: 'ignore' });
  const createImage = async (file: string, bytes: number) => {
    const r = spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, String(bytes)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
  };
  const disks = [{ name: 'scsi0', node: disk.node }];
  const phases: Record<string, Record<string, number>> = {};
  const backup = (runId: string, parent: Parameters<typeof backupGuest>[0]['parent'], label: string) =>
    backupGuest({
      onPhase: (name, ms) => ((phases[label] ??= {})[name] = ((phases[label] ?? {})[name] ?? 0) + ms), jobId: 1, runId, parent, disks, configFiles: [], segmentBytes, stageRoot: join(work, 'stage'), workDir: join(work, 'runs', runId), qmp, engine, repo, host: 'bench', tags: [`backstop-run=guest/1/${runId}`], control: {}, createImage });

  try {
    const fullRun = randomUUID();
    const [full, fullMs] = await timed(() => backup(fullRun, null, 'full'));
    await commitBitmaps(qmp, { jobId: 1, runId: fullRun, disks });
    const [, directFullMs] = await timed(async () => resticDirect(join(work, 'repo-direct'), raw));

    const blocks = size / BLOCK;
    const changed = new Set<number>();
    while (changed.size < Math.round((blocks * changedPercent) / 100)) changed.add(randomInt(blocks));
    const rawFd = openSync(raw, 'r+');
    for (const b of changed) {
      const data = randomBytes(BLOCK);
      disk.write(b * BLOCK, data);
      writeSync(rawFd, data, 0, BLOCK, b * BLOCK);
    }
    fsyncSync(rawFd);
    closeSync(rawFd);

    const incRun = randomUUID();
    const [inc, incMs] = await timed(() => backup(incRun, { runId: fullRun, snapshotId: full.snapshot.id, manifest: full.manifest }, 'incremental'));
    await commitBitmaps(qmp, { jobId: 1, runId: incRun, disks });
    const [, directIncMs] = await timed(async () => resticDirect(join(work, 'repo-direct'), raw));

    const readShare = inc.bytesRead / size;
    const timeShare = incMs / fullMs;
    console.log('');
    console.log('                       Backstop (guest)        restic direct (raw image)');
    console.log(`full backup            ${secs(fullMs).padEnd(24)}${secs(directFullMs)}   ratio ${(fullMs / directFullMs).toFixed(2)}x`);
    console.log(`incremental            ${secs(incMs).padEnd(24)}${secs(directIncMs)}   ratio ${(incMs / directIncMs).toFixed(2)}x`);
    console.log(`read from the disk     full ${mib(full.bytesRead)}, incremental ${mib(inc.bytesRead)} (${changed.size} blocks changed = ${mib(changed.size * BLOCK)})`);
    console.log(`incremental mode       ${inc.manifest.disks[0]!.mode}; restic carried ${inc.stats?.filesUnmodified} of ${inc.manifest.disks[0]!.mtimes.reduce((n, r) => n + r[1], 0)} segments over unread`);
    for (const [label, p] of Object.entries(phases)) console.log(`${label.padEnd(23)}${Object.entries(p).map(([k, ms]) => `${k} ${secs(ms)}`).join(', ')}`);
    console.log('');
    console.log(`${readShare <= 0.02 ? 'OK  ' : 'MISS'} incremental bytes read ${(readShare * 100).toFixed(2)}% of the disk (target <= 2%)`);
    console.log(`${timeShare <= 0.1 ? 'OK  ' : 'MISS'} incremental time ${(timeShare * 100).toFixed(1)}% of Backstop's full (target <= 10%)`);
  } finally {
    qmp.close();
    await disk.stop();
    if (process.env.BENCH_KEEP !== '1') rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
