// What bench:engines needs from each engine it measures: how to make a fresh repository, how
// to run the engine's backup directly (the "engine alone" side, with the argv and environment
// Backstop's engine class would give it), and how to read a repository's snapshots back.
import type { EngineKind, EngineSnapshot } from '../../contract/engine';
import type { Dataset } from '../support/dataset';

/** One run of the engine alone. */
export interface DirectRun {
  /** Spawn -> exit, as the bench saw it. */
  wallMs: number;
  /** The engine's own duration for the backup (restic: summary total_duration; borg: archive duration). */
  engineMs: number;
  /** Files the engine read again (new + changed): 0 for a no-change incremental. */
  reread: number;
}

/** One round's pair of repositories: the engine's own and Backstop's (a byte copy of it). */
export interface RoundRepos {
  direct: string;
  backstop: string;
}

export interface BenchEngine {
  kind: EngineKind;
  /** The binary both sides run, with its version, for the report's header. */
  describe(): string;
  /**
   * Why this engine cannot be measured here (binary missing, its code not in this tree), or
   * null. The stack's answer (is the engine wired into the API and workers?) is asked later.
   */
  unavailable(): Promise<string | null>;
  /**
   * A freshly initialised repository at `<dir>/repo-direct` and a byte copy of it at
   * `<dir>/repo-backstop`, which Backstop adopts (init: false): same key, same chunker
   * parameters, so the two sides differ only in who runs the engine.
   */
  freshRepos(dir: string): Promise<RoundRepos>;
  /** The engine's backup of `dataset` into `repo`, run directly; the `n`th such run. */
  direct(repo: string, dataset: Dataset, n: number): Promise<DirectRun>;
  /** The engine command line of a direct run, for the report (password and repository in the environment are not shown). */
  commandLine(repo: string, dataset: Dataset): string;
  /** The snapshots in `repo` carrying `tag`, as the engine reports them. */
  snapshotsByTag(repo: string, tag: string): Promise<EngineSnapshot[]>;
}
