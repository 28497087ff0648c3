// The soak's backup jobs: J jobs over the three agents, one repository per agent shared by
// that agent's jobs (two jobs writing one repository at once is the lock contention a real
// machine with several jobs has; restic's backup locks are shared, Backstop's repository lock
// too, so they must not block each other, and a stale lock of a killed restic must be cleaned
// without breaking the other job's run).
//
// Each job backs up its own directory: a fixed sample tree (its file hashes are known, so any
// restored snapshot can be compared) plus one churn file replaced before each manual run
// (churn-file.ts), so every backup uploads new data. Every job has a per-minute cron schedule
// (the finest a 5-field cron gives); overlap policies rotate over skip, buffer-one and
// cancel-other so that a run stalled by a kill meets each way a schedule treats it.
//
// Where the machine allows: the second job freezes its paths with a btrfs snapshot (a loop
// device under its agent's backup root), the third runs in pull mode (the server worker mounts
// the agent's export with sshfs): their snapshots and mounts are what the leak checks look for.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeSampleTree, hashTree } from '../../../workers/embedded/sample';
import { findSftpRuntime } from '../../../activities/agent/export/sftp-runtime';
import { btrfsUnavailable, makeBtrfs, type LoopFs } from '../../support/loop-fs';
import { replaceChurnFile } from './churn-file';
import type { Topology } from '../support/topology';
import type { Prng } from './prng';

export type SoakJobKind = 'push' | 'btrfs' | 'pull';

export interface SoakRepository {
  id: number;
  name: string;
  path: string;
  password: string;
}

export interface SoakJob {
  id: number;
  name: string;
  agent: string;
  kind: SoakJobKind;
  repository: SoakRepository;
  /** The directory the job backs up. */
  source: string;
  /** sha256 of each file of the fixed sample tree, by path relative to `source`. */
  expected: Map<string, string>;
}

export interface SoakFixtures {
  jobs: SoakJob[];
  repositories: SoakRepository[];
  /** Per kind of job: 'yes', or why the soak goes without it. */
  exercised: Record<string, string>;
  /** The btrfs filesystem of the snapshot job, if there is one. */
  btrfs: LoopFs | null;
}

/** Files of the fixed tree per job: small, so restoring every snapshot stays cheap. */
const SAMPLE_FILES = 24;
const OVERLAPS = ['skip', 'buffer-one', 'cancel-other'] as const;
/** The churn file's size, drawn per replacement: enough that restic uploads for a moment. */
export const CHURN_BYTES: readonly [number, number] = [256 * 1024, 3 * 1024 * 1024];

async function kindsAvailable(): Promise<{ btrfs: string; pull: string }> {
  const btrfs = btrfsUnavailable();
  const sftp = await findSftpRuntime();
  return { btrfs: btrfs ?? 'yes', pull: sftp ? 'yes' : 'no OpenSSH sftp-server on this machine' };
}

export async function createSoakJobs(t: Topology, count: number, random: Prng): Promise<SoakFixtures> {
  const available = await kindsAvailable();
  const repositories = new Map<string, SoakRepository>();
  mkdirSync(join(t.dir, 'repos'), { recursive: true });
  for (const agent of t.agentNames) {
    const path = join(t.dir, 'repos', agent);
    const password = randomBytes(18).toString('base64url');
    const repo = await t.api.createRepository({ name: `soak-${agent}`, url: path, password });
    repositories.set(agent, { id: repo.id, name: repo.name, path, password });
  }

  let btrfs: LoopFs | null = null;
  const jobs: SoakJob[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const agent = t.agentNames[i % t.agentNames.length]!;
      const kind: SoakJobKind = i === 1 && available.btrfs === 'yes' ? 'btrfs' : i === 2 && available.pull === 'yes' ? 'pull' : 'push';
      // The job backs up `tree` inside its base directory; the churn file is staged in the
      // base, on the same filesystem (for btrfs: the same subvolume, or rename fails with EXDEV).
      let base = join(t.agentRoot(agent), `job-${i + 1}`);
      if (kind === 'btrfs') {
        btrfs = makeBtrfs(join(t.agentRoot(agent), `job-${i + 1}-btrfs`), 256, ['data']);
        base = join(btrfs.mountPoint, 'data');
      }
      const source = join(base, 'tree');
      mkdirSync(source, { recursive: true });
      writeSampleTree(source, SAMPLE_FILES);
      const expected = hashTree(source);
      replaceChurnFile(source, random.int(...CHURN_BYTES));
      const repository = repositories.get(agent)!;
      const job = await t.api.createJob({
        name: `soak-${i + 1}-${kind}`,
        agent,
        repositoryId: repository.id,
        paths: [source],
        ...(kind === 'btrfs' ? { snapshotMode: 'btrfs' as const } : {}),
        ...(kind === 'pull' ? { mode: 'pull' as const } : {}),
        schedule: { cron: ['* * * * *'], overlap: OVERLAPS[i % OVERLAPS.length] },
      });
      jobs.push({ id: job.id, name: job.name, agent, kind, repository, source, expected });
    }
  } catch (err) {
    btrfs?.remove();
    throw err;
  }
  return {
    jobs,
    repositories: [...repositories.values()],
    exercised: {
      'btrfs snapshots': count < 2 ? 'no (fewer than 2 jobs)' : available.btrfs,
      'pull mode': count < 3 ? 'no (fewer than 3 jobs)' : available.pull,
    },
    btrfs,
  };
}
