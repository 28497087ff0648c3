// bench:engines, restic: the agent's own binary (.tools/bin/restic, BACKSTOP_RESTIC in the
// stack) with the agent's argv (backupArgs: --json, --host, a run tag and a job tag, paths
// after --) and environment (resticEnv: RESTIC_REPOSITORY, RESTIC_PASSWORD,
// RESTIC_PROGRESS_FPS=2, a cache directory of its own), spawned through the agent's runProcess.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { backupArgs, resticEnv } from '../../activities/shared/engines/restic/args';
import { parseBackupLine, type BackupEvent } from '../../activities/shared/engines/restic/parse';
import { Restic } from '../../activities/shared/engines/restic/restic';
import { runProcess } from '../../activities/shared/process';
import { JOB_TAG_PREFIX, runTag } from '../../contract/names';
import type { EngineSnapshot } from '../../contract/engine';
import type { Dataset } from '../support/dataset';
import type { BenchEngine, DirectRun, RoundRepos } from './engine';

/** The direct side's restic cache: beside its repository, one per repository (as the agent has one of its own). */
const cacheOf = (repo: string) => `${repo}-cache`;

export class ResticBench implements BenchEngine {
  readonly kind = 'restic' as const;

  constructor(
    private readonly binary: string,
    private readonly password: string,
    private readonly host: string,
  ) {}

  describe(): string {
    const version = execFileSync(this.binary, ['version'], { encoding: 'utf8' }).trim().split(' ').slice(0, 2).join(' ');
    return `${this.binary} (${version})`;
  }

  unavailable(): Promise<string | null> {
    return Promise.resolve(existsSync(this.binary) ? null : `${this.binary} is missing: run scripts/setup.sh first`);
  }

  private args(dataset: Dataset, n: number): string[] {
    // The agent's tags are a run tag (the workflow id) and the job tag.
    return backupArgs({ paths: [dataset.dir], excludes: [], tags: [runTag(`bench/direct/${n}`), `${JOB_TAG_PREFIX}0`], host: this.host });
  }

  async freshRepos(dir: string): Promise<RoundRepos> {
    const direct = join(dir, 'repo-direct');
    const backstop = join(dir, 'repo-backstop');
    await new Restic({ binary: this.binary, cacheDir: cacheOf(direct) }).init({ url: direct, password: this.password });
    // restic calibrates the key's scrypt cost to the machine's load at init time: two
    // separately initialised repositories differ by a few hundred ms in every key derivation.
    cpSync(direct, backstop, { recursive: true });
    return { direct, backstop };
  }

  async direct(repo: string, dataset: Dataset, n: number): Promise<DirectRun> {
    const events: BackupEvent[] = [];
    const onLine = (line: string) => {
      const e = parseBackupLine(line);
      if (e.kind !== 'status') events.push(e);
    };
    const t0 = performance.now();
    const r = await runProcess(this.binary, this.args(dataset, n), { env: resticEnv(repo, this.password, {}, cacheOf(repo)), onStdoutLine: onLine, onStderrLine: onLine });
    const wallMs = performance.now() - t0;
    const summary = events.find((e) => e.kind === 'summary');
    if (r.exitCode !== 0 || summary?.kind !== 'summary') throw new Error(`restic backup (direct) failed (exit ${r.exitCode}): ${r.stderrTail.slice(-500)}`);
    const s = summary.stats;
    return { wallMs, engineMs: s.durationSeconds * 1000, reread: s.filesNew + s.filesChanged };
  }

  commandLine(repo: string, dataset: Dataset): string {
    const env = Object.entries(resticEnv(repo, '…', {}, cacheOf(repo))).map(([k, v]) => `${k}=${v}`);
    return [...env, this.binary, ...this.args(dataset, 1)].join(' ');
  }

  snapshotsByTag(repo: string, tag: string): Promise<EngineSnapshot[]> {
    return new Restic({ binary: this.binary }).findSnapshotsByTag({ url: repo, password: this.password }, tag);
  }
}
