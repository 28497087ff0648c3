// bench:engines, borg: the binary the workers run (BACKSTOP_BORG, else borg on PATH, passed to
// the stack as BACKSTOP_BORG) with the argv of the Borg class's backup (createArgs: create
// --json --progress --list --log-json --lock-wait 10 --comment <JSON> <repo>::<name> -- paths)
// and its environment (borgEnv: BORG_PASSPHRASE, TZ=UTC, BORG_HOSTNAME_IS_UNIQUE=yes, …, and a
// BORG_BASE_DIR of its own), spawned through the agent's runProcess. Its stderr (one JSON line
// per file, from --list, and progress lines) is read as the Borg class reads it, its stdout
// (the archive and its stats) captured and parsed the same way.
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { borgEnv, createArgs } from '../../activities/shared/engines/borg/args';
import { Borg } from '../../activities/shared/engines/borg/borg';
import { countFile, emptyCounts, parseCreateOutput, parseEvent } from '../../activities/shared/engines/borg/parse';
import { runProcess } from '../../activities/shared/process';
import { JOB_TAG_PREFIX, runTag } from '../../contract/names';
import type { BackupRequest, EngineSnapshot, RepositoryAccess } from '../../contract/engine';
import type { Dataset } from '../support/dataset';
import type { BenchEngine, DirectRun, RoundRepos } from './engine';

/** The direct side's BORG_BASE_DIR (cache, security, config): beside its repository, one per repository. */
const baseOf = (repo: string) => `${repo}-base`;

const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export class BorgBench implements BenchEngine {
  readonly kind = 'borg' as const;

  constructor(
    /** An absolute path, or a name looked up on PATH. */
    readonly binary: string,
    private readonly password: string,
    private readonly host: string,
  ) {}

  describe(): string {
    return `${this.binary} (${execFileSync(this.binary, ['--version'], { encoding: 'utf8' }).trim()})`;
  }

  unavailable(): Promise<string | null> {
    try {
      execFileSync(this.binary, ['--version'], { stdio: 'ignore' });
      return Promise.resolve(null);
    } catch (e) {
      return Promise.resolve(`${this.binary} --version failed: ${(e as Error).message}`);
    }
  }

  private access(repo: string): RepositoryAccess {
    return { engine: 'borg', url: repo, password: this.password };
  }

  private request(dataset: Dataset, n: number): BackupRequest {
    // The agent's tags are a run tag (the workflow id) and the job tag; they name the archive.
    return { paths: [dataset.dir], excludes: [], tags: [runTag(`bench/direct/${n}`), `${JOB_TAG_PREFIX}0`], host: this.host };
  }

  async freshRepos(dir: string): Promise<RoundRepos> {
    const direct = join(dir, 'repo-direct');
    const backstop = join(dir, 'repo-backstop');
    // Initialised with a throwaway base dir: neither side starts with a cache of the repository.
    const initBase = join(dir, 'init-base');
    await new Borg({ binary: this.binary, baseDir: initBase }).init(this.access(direct));
    rmSync(initBase, { recursive: true, force: true });
    // Same repository id on both sides is fine: each side's BORG_BASE_DIR (the agent's state
    // directory, baseOf(direct)) has seen only its own copy, at its own location.
    cpSync(direct, backstop, { recursive: true });
    return { direct, backstop };
  }

  async direct(repo: string, dataset: Dataset, n: number): Promise<DirectRun> {
    const counts = emptyCounts();
    const t0 = performance.now();
    const r = await runProcess(this.binary, createArgs(repo, this.request(dataset, n)), {
      env: borgEnv(this.access(repo), baseOf(repo)),
      captureStdout: true,
      onStderrLine: (line) => {
        const e = parseEvent(line);
        if (e.kind === 'file') countFile(counts, e);
      },
    });
    const wallMs = performance.now() - t0;
    if (r.exitCode !== 0 || r.stdout.trim() === '') throw new Error(`borg create (direct) failed (exit ${r.exitCode}): ${r.stderrTail.slice(-500)}`);
    const s = parseCreateOutput(r.stdout, counts).stats;
    return { wallMs, engineMs: s.durationSeconds * 1000, reread: s.filesNew + s.filesChanged };
  }

  commandLine(repo: string, dataset: Dataset): string {
    const env = Object.entries(borgEnv({ password: '…' }, baseOf(repo))).map(([k, v]) => `${k}=${v}`);
    return [...env, this.binary, ...createArgs(repo, this.request(dataset, 1)).map(q)].join(' ');
  }

  snapshotsByTag(repo: string, tag: string): Promise<EngineSnapshot[]> {
    return new Borg({ binary: this.binary, baseDir: `${repo}-check-base` }).findSnapshotsByTag(this.access(repo), tag);
  }
}
