// What each repository holds once the soak is over, asked of restic itself (the project's
// restic, not through Backstop): the snapshots (duplicates per run, snapshots no run claims),
// the locks (with every Backstop process stopped, any lock is stale), `restic check`, and a
// restore of every snapshot compared file by file with what the job backed up.
//
// Every snapshot is restored, not a sample: the trees are small (24 files and one churn file
// of at most 3 MiB), so even the long soak's few hundred snapshots restore in minutes, and a
// sample would miss the one snapshot a killed attempt left half-written.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hashTree } from '../../../workers/embedded/sample';
import { CHURN_FILE, churnIntact } from './churn-file';
import { duplicateRuns, untagged, type RepoSnapshot } from './snapshot-audit';
import type { SoakJob, SoakRepository } from './soak-jobs';
import type { RepositoryFindings } from './soak-report';

const exec = promisify(execFile);

interface ResticResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** restic on one repository, with a cache of the soak's own (not the user's ~/.cache). */
async function restic(repo: SoakRepository, cacheDir: string, args: string[]): Promise<ResticResult> {
  try {
    const { stdout, stderr } = await exec('restic', args, {
      env: { ...process.env, RESTIC_REPOSITORY: repo.path, RESTIC_PASSWORD: repo.password, RESTIC_CACHE_DIR: cacheDir },
      maxBuffer: 256 * 1024 * 1024,
    });
    return { ok: true, stdout, stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, stdout: e.stdout ?? '', stderr: e.stderr || e.message };
  }
}

const lastLines = (text: string, n = 3) => text.trim().split('\n').slice(-n).join(' / ');

export async function repositorySnapshots(repo: SoakRepository, cacheDir: string): Promise<RepoSnapshot[]> {
  const r = await restic(repo, cacheDir, ['snapshots', '--json', '--no-lock']);
  if (!r.ok) throw new Error(`restic snapshots on ${repo.name}: ${lastLines(r.stderr)}`);
  return JSON.parse(r.stdout) as RepoSnapshot[];
}

/**
 * A lock as restic recorded it (`restic cat lock`): which process on which host took it when,
 * and what that PID is now (gone: the lock is stale; alive: a process still holds it, or the
 * PID went to another process since). A stale lock is not harmless: restic's exclusive
 * commands (check, prune) refuse to run while it is there, until `restic unlock` removes it.
 */
async function describeLock(repo: SoakRepository, cacheDir: string, id: string): Promise<string> {
  const r = await restic(repo, cacheDir, ['cat', 'lock', id, '--no-lock']);
  if (!r.ok) return `${id.slice(0, 8)} (unreadable: ${lastLines(r.stderr, 1)})`;
  const lock = JSON.parse(r.stdout) as { time: string; exclusive: boolean; hostname: string; pid: number };
  let now = 'gone';
  try {
    now = readFileSync(`/proc/${lock.pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 80) || 'alive';
  } catch {
    /* the PID is gone */
  }
  return `${id.slice(0, 8)}: ${lock.exclusive ? 'exclusive' : 'shared'} lock of PID ${lock.pid} on ${lock.hostname} taken ${lock.time} (PID now: ${now})`;
}

/** Why a restored snapshot differs from its job's source, or null when it matches. */
export function restoredTreeProblem(root: string, job: SoakJob): string | null {
  let restored: Map<string, string>;
  try {
    restored = hashTree(root);
  } catch (err) {
    return `nothing restored at ${root}: ${(err as Error).message}`;
  }
  for (const [file, hash] of job.expected) {
    const got = restored.get(file);
    if (got === undefined) return `${file} missing`;
    if (got !== hash) return `${file} differs from its source`;
  }
  const extra = [...restored.keys()].filter((f) => f !== CHURN_FILE && !job.expected.has(f));
  if (extra.length > 0) return `unexpected files: ${extra.slice(0, 3).join(', ')}`;
  if (!restored.has(CHURN_FILE)) return `${CHURN_FILE} missing`;
  if (!churnIntact(readFileSync(join(root, CHURN_FILE)))) return `${CHURN_FILE} is corrupt (its checksum does not match)`;
  return null;
}

/** Restores every snapshot (two at a time) and compares it with the job whose path it holds. */
async function restoreAll(repo: SoakRepository, snapshots: RepoSnapshot[], jobs: readonly SoakJob[], workDir: string, cacheDir: string): Promise<RepositoryFindings['restores']> {
  const out: RepositoryFindings['restores'] = { verified: 0, failed: [] };
  const queue = [...snapshots];
  const worker = async (n: number) => {
    for (let s = queue.shift(); s; s = queue.shift()) {
      const job = jobs.find((j) => s!.paths.length === 1 && s!.paths[0] === j.source);
      if (!job) {
        out.failed.push({ snapshot: s.id, why: `paths ${s.paths.join(', ')} are no soak job's` });
        continue;
      }
      const target = join(workDir, `restore-${n}`);
      rmSync(target, { recursive: true, force: true });
      mkdirSync(target, { recursive: true });
      const r = await restic(repo, cacheDir, ['restore', s.id, '--target', target, '--no-lock']);
      const problem = r.ok ? restoredTreeProblem(join(target, job.source), job) : `restic restore failed: ${lastLines(r.stderr)}`;
      if (problem) out.failed.push({ snapshot: s.id, why: problem });
      else out.verified++;
      rmSync(target, { recursive: true, force: true });
    }
  };
  await Promise.all([worker(1), worker(2)]);
  return out;
}

export async function checkRepository(repo: SoakRepository, jobs: readonly SoakJob[], workDir: string): Promise<{ findings: RepositoryFindings; snapshots: RepoSnapshot[] }> {
  const cacheDir = join(workDir, 'restic-cache');
  const snapshots = await repositorySnapshots(repo, cacheDir);
  const locks = await restic(repo, cacheDir, ['list', 'locks', '--no-lock']);
  if (!locks.ok) throw new Error(`restic list locks on ${repo.name}: ${lastLines(locks.stderr)}`);
  const staleLocks = await Promise.all(locks.stdout.split('\n').filter(Boolean).map((id) => describeLock(repo, cacheDir, id)));
  // After the locks were read: `restic check` takes an exclusive lock of its own and removes it.
  const check = await restic(repo, cacheDir, ['check']);
  const restores = await restoreAll(repo, snapshots, jobs, workDir, cacheDir);
  return {
    snapshots,
    findings: {
      name: repo.name,
      path: repo.path,
      snapshots: snapshots.length,
      duplicates: duplicateRuns(snapshots),
      untagged: untagged(snapshots),
      staleLocks,
      check: { ok: check.ok, detail: check.ok ? lastLines(check.stdout, 1) : lastLines(`${check.stdout}\n${check.stderr}`, 6) },
      restores,
    },
  };
}
