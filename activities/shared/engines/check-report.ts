// What a repository check found wrong, collected line by line while the engine runs (its
// stderr tail is bounded, and a damaged repository can list thousands of problems): the
// first few problems name the damage in the run's failure reason, the count says how much.
import { BackstopError, ErrorType } from '../../../contract/errors';

const SHOWN = 3;

export class CheckProblems {
  private readonly first: string[] = [];
  private total = 0;

  add(problem: string): void {
    const p = problem.trim();
    if (p === '') return;
    this.total++;
    if (this.first.length < SHOWN) this.first.push(p);
  }

  get count(): number {
    return this.total;
  }

  /** RepositoryDamagedError (not retryable): `<what>: the repository is damaged: <problems> (and N more)`. */
  damaged(what: string): BackstopError {
    const more = this.total > this.first.length ? ` (and ${this.total - this.first.length} more)` : '';
    const named = this.first.length > 0 ? `: ${this.first.join('; ')}${more}` : '';
    return new BackstopError(ErrorType.repositoryDamaged, `${what}: the repository is damaged${named}`, { problems: this.total });
  }
}
