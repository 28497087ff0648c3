// The sample that `backstop up` runs: back up a generated directory through the API,
// restore the snapshot with restic and compare every file by sha256, then drill it on
// demand (issue 17; the sample job's weekly drill schedule was made with it).
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ApiClient } from '../../core/api-client';
import type { JobMode } from '../../contract/model';
import { Restic } from '../../activities/shared/engines/restic/restic';

export interface SampleResult {
  runId: string;
  status: string;
  snapshotId: string;
  filesCompared: number;
  restoreDir: string;
}

/** A restore drill of the push sample: what it proved. */
export interface SampleDrill {
  runId: string;
  status: string;
  failureReason: string | null;
  filesChecked: number;
  bytesChecked: number;
  check: string;
}

/** The push sample and its pull-mode twin (its own repository: the agent never gets that password). */
export interface SamplesResult {
  push: SampleResult;
  pull: SampleResult;
  drill: SampleDrill;
}

/** Deterministic mixed-size files so a rerun backs up the same content. */
export function writeSampleTree(dir: string, files = 120): void {
  for (let i = 0; i < files; i++) {
    const sub = join(dir, `dir${i % 6}`);
    mkdirSync(sub, { recursive: true });
    const size = [10, 900, 4_000, 65_000, 300_000][i % 5]!;
    let seed = createHash('sha256').update(`sample-${i}`).digest();
    const chunks: Buffer[] = [];
    for (let n = 0; n < size; n += seed.length) {
      chunks.push(seed);
      seed = createHash('sha256').update(seed).digest();
    }
    writeFileSync(join(sub, `file${i}.bin`), Buffer.concat(chunks).subarray(0, size));
  }
}

export function hashTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) out.set(relative(root, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(root);
  return out;
}

export async function runSample(
  api: ApiClient,
  opts: { dataDir: string; agentName: string; repositoryPassword: (id: number) => Promise<string> },
): Promise<SamplesResult> {
  const sampleDir = join(opts.dataDir, 'sample');
  if (!existsSync(sampleDir)) writeSampleTree(sampleDir);
  const push = await backUpAndCheck(api, opts, sampleDir, { job: 'sample', repository: 'sample', mode: 'push' });
  const pull = await backUpAndCheck(api, opts, sampleDir, { job: 'sample-pull', repository: 'sample-pull', mode: 'pull' });
  return { push, pull, drill: await drillSample(api, 'sample') };
}

/** One restore drill of the sample job now, as `jobs drill <id> --wait` would start it. */
async function drillSample(api: ApiClient, jobName: string): Promise<SampleDrill> {
  const job = (await api.listJobs()).find((j) => j.name === jobName);
  if (!job) throw new Error(`no job ${jobName} to drill`);
  const { runId } = await api.runJobDrill(job.id);
  const run = await api.waitForRun(runId);
  const d = (run.details ?? {}) as { files?: { filesChecked: number; bytesChecked: number } | null; integrity?: { scope: string; passed: boolean } | null };
  return {
    runId,
    status: run.status,
    failureReason: run.failureReason,
    filesChecked: d.files?.filesChecked ?? 0,
    bytesChecked: d.files?.bytesChecked ?? 0,
    check: d.integrity ? `${d.integrity.scope} ${d.integrity.passed ? 'passed' : 'found damage'}` : 'no check',
  };
}

/** Creates the job (and repository) once, runs it, restores the snapshot and compares every file. */
async function backUpAndCheck(
  api: ApiClient,
  opts: { dataDir: string; agentName: string; repositoryPassword: (id: number) => Promise<string> },
  sampleDir: string,
  names: { job: string; repository: string; mode: JobMode },
): Promise<SampleResult> {
  const repoUrl = join(opts.dataDir, 'repos', names.repository);
  let repo = (await api.listRepositories()).find((r) => r.name === names.repository);
  if (!repo) {
    repo = await api.createRepository({ name: names.repository, url: repoUrl, password: randomBytes(24).toString('base64url'), init: !existsSync(join(repoUrl, 'config')) });
  }
  let job = (await api.listJobs()).find((j) => j.name === names.job);
  if (!job) job = await api.createJob({ name: names.job, agent: opts.agentName, repositoryId: repo.id, paths: [sampleDir], mode: names.mode });

  const { runId } = await api.runJob(job.id);
  let lastPercent = -1;
  const run = await api.waitForRun(runId, {
    onUpdate: (r) => {
      if (r.progress && Math.floor(r.progress.percent / 10) !== lastPercent) {
        lastPercent = Math.floor(r.progress.percent / 10);
        console.log(`  … ${names.mode} ${r.progress.percent.toFixed(0)}% (${r.progress.filesDone}/${r.progress.filesTotal} files)`);
      }
    },
  });
  if (run.status !== 'succeeded' || !run.snapshotId) throw new Error(`sample ${names.mode} backup ${run.status}: ${run.failureReason ?? 'no snapshot'}`);

  const restoreDir = join(opts.dataDir, 'restore-check', run.snapshotId.slice(0, 8));
  rmSync(restoreDir, { recursive: true, force: true });
  const restic = new Restic({ cacheDir: join(opts.dataDir, 'api-restic-cache') });
  await restic.restore({ url: repo.url, password: await opts.repositoryPassword(repo.id) }, run.snapshotId, restoreDir, {});
  const source = hashTree(sampleDir);
  const restored = hashTree(join(restoreDir, sampleDir));
  for (const [file, hash] of source) {
    if (restored.get(file) !== hash) throw new Error(`restore check failed: ${file} differs from its source`);
  }
  if (restored.size !== source.size) throw new Error(`restore check failed: ${restored.size} files restored, ${source.size} expected`);
  return { runId, status: run.status, snapshotId: run.snapshotId, filesCompared: source.size, restoreDir };
}
