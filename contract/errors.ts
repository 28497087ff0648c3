// One small closed set of typed errors. Activities throw these; `toApplicationFailure`
// (activities/shared/failure.ts) turns them into Temporal failures, `api/problem.ts` into
// problem+json. No Node imports: workflows read the type names.

export const ErrorType = {
  /** The request or configuration is invalid; retrying cannot help. */
  input: 'InputError',
  notFound: 'NotFoundError',
  conflict: 'ConflictError',
  unauthorized: 'UnauthorizedError',
  /** The caller is who it says, but this is not for it (an agent asking for a secret it must not hold). */
  forbidden: 'ForbiddenError',
  /** The repository password is wrong. */
  repositoryAuth: 'RepositoryAuthError',
  /** No repository at the configured location, or it is not initialised. */
  repositoryMissing: 'RepositoryMissingError',
  /** A path to back up does not exist on the agent. */
  sourceMissing: 'SourceMissingError',
  /** The repository is locked by a live process; a retry may succeed. */
  repositoryLocked: 'RepositoryLockedError',
  /**
   * A check found the repository damaged (missing or corrupt data): a retry finds the same
   * damage, so the run fails at once and the message names what the engine found.
   */
  repositoryDamaged: 'RepositoryDamagedError',
  /** The engine failed for a reason a retry may fix (I/O, network). */
  engine: 'EngineError',
  /** A hook or script exited non-zero. */
  hook: 'HookError',
  /** A filesystem snapshot could not be created or released (busy, out of space); a retry may succeed. */
  snapshot: 'SnapshotError',
  /**
   * An engine, hook or sync was alive but made no progress for the stall timeout and was
   * stopped; the message quotes the last progress. Retryable: the retry policy decides.
   */
  stalled: 'StalledError',
  /**
   * Pull mode: the agent's export could not be reached, or its connection broke while the
   * engine read it. The workflow opens the export again and retries (the step alone cannot:
   * the export it was given may be gone with its agent).
   */
  exportLost: 'ExportLostError',
  /**
   * A notification receiver was unreachable or answered with a temporary failure (5xx, 408,
   * 429, an SMTP 4xx): the delivery is retried on its own schedule. A receiver that refuses
   * the message for good (other 4xx, SMTP 5xx) is an InputError instead.
   */
  delivery: 'DeliveryError',
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

/** Error types that no retry can fix: the run fails at once with a readable reason. */
export const NON_RETRYABLE_ERROR_TYPES: readonly ErrorType[] = [
  ErrorType.input,
  ErrorType.notFound,
  ErrorType.conflict,
  ErrorType.unauthorized,
  ErrorType.forbidden,
  ErrorType.repositoryAuth,
  ErrorType.repositoryMissing,
  ErrorType.sourceMissing,
  ErrorType.repositoryDamaged,
  ErrorType.hook,
];

export class BackstopError extends Error {
  constructor(
    readonly type: ErrorType,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = type;
  }

  get retryable(): boolean {
    return !NON_RETRYABLE_ERROR_TYPES.includes(this.type);
  }
}

/** Thrown when a request body, parameter or configuration value is invalid. */
export class InputError extends BackstopError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(ErrorType.input, message, details);
  }
}

/**
 * An operation the repository's engine cannot do (a borg repository mounted as restic would,
 * a PBS restore policy the client lacks). Not retryable; the API answers 400.
 */
export class UnsupportedByEngineError extends BackstopError {
  constructor(engine: string, operation: string, why: string) {
    super(ErrorType.input, `${engine} repositories cannot ${operation}: ${why}`, { engine, operation });
  }
}

/** Thrown when a referenced agent, repository, job, run or snapshot does not exist. */
export class NotFoundError extends BackstopError {
  constructor(message: string) {
    super(ErrorType.notFound, message);
  }
}

/** Thrown when a request conflicts with the current state (duplicate name, …). */
export class ConflictError extends BackstopError {
  constructor(message: string) {
    super(ErrorType.conflict, message);
  }
}

/** Thrown when a request carries no valid token, or a token outside its scope. */
export class UnauthorizedError extends BackstopError {
  constructor(message = 'a valid bearer token is required') {
    super(ErrorType.unauthorized, message);
  }
}

/**
 * Thrown when a known caller asks for something its role never gets: an agent asking for the
 * password of a repository it backs up only in pull mode.
 */
export class ForbiddenError extends BackstopError {
  constructor(message: string) {
    super(ErrorType.forbidden, message);
  }
}
