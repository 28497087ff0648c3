// The API's problem+json documents as an error class (apart from api.ts, which needs a
// browser: this module is also used by unit tests in Node).
import type { components } from '../../contract/generated/api-schema';

export type Problem = components['schemas']['Problem'];

/** A problem+json answer, kept whole so a form can put each error at its field. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
}
