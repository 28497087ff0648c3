// The CLI's exit codes, one place: scripts and runbooks branch on them, and the README lists
// them. A run's outcome maps to a code only where a command waited for the run to end.
import { CommanderError } from 'commander';
import { ApiError } from '../core/api-client';

export const EXIT = {
  /** Done; a waited-for run succeeded. */
  ok: 0,
  /** A waited-for run failed or was cancelled (or a command's own check failed). */
  runFailed: 1,
  /** The command line was wrong: unknown command or flag, missing or malformed argument. */
  usage: 2,
  /** A waited-for run ended with warnings (some files unreadable, a partial backup). */
  runWarning: 3,
  /** The API could not be reached (refused, DNS, TLS, timeout). */
  unreachable: 4,
  /** The API answered with an error (not found, conflict, invalid request, unauthorised). */
  apiError: 5,
  /** Ctrl-C while following a run: the command stopped watching, the run goes on (128 + SIGINT, as shells report it). */
  interrupted: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An input problem the CLI finds itself (a flag's value, a missing environment variable). */
export class UsageError extends Error {}

/** Ctrl-C while following a run: only the watching stopped; the message says how to go on. */
export class StoppedWatchingError extends Error {
  constructor(readonly runId: string) {
    super(`stopped following run ${runId}; it goes on: backstop runs watch ${runId} follows it again, backstop runs cancel ${runId} stops it`);
  }
}

/** The code for a run that ended (or for one still going when the command stopped waiting). */
export function exitCodeForRun(status: string): ExitCode {
  switch (status) {
    case 'succeeded':
      return EXIT.ok;
    case 'warning':
      return EXIT.runWarning;
    case 'failed':
    case 'cancelled':
      return EXIT.runFailed;
    default:
      return EXIT.ok;
  }
}

/** Node's fetch rejects with a TypeError whose cause is the socket error when nothing answers. */
function isUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'AbortError' || err.name === 'TimeoutError') return true;
  return err instanceof TypeError && err.message === 'fetch failed';
}

/** The code for an error a command threw. */
export function exitCodeForError(err: unknown): ExitCode {
  if (err instanceof CommanderError || err instanceof UsageError) return EXIT.usage;
  if (err instanceof StoppedWatchingError) return EXIT.interrupted;
  if (err instanceof ApiError) return EXIT.apiError;
  if (isUnreachable(err)) return EXIT.unreachable;
  return EXIT.runFailed;
}

/** What to print for an error: the API's problem, or why nothing answered. */
export function describeError(err: unknown, apiUrl?: string): string {
  if (isUnreachable(err)) {
    const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
    return `cannot reach the API${apiUrl ? ` at ${apiUrl}` : ''}: ${cause?.code ?? cause?.message ?? (err as Error).message} (is it running? --api-url, BACKSTOP_API_URL or a --profile name another)`;
  }
  return err instanceof Error ? err.message : String(err);
}
