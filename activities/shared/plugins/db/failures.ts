// The common failures of database clients, named from what they print: the plugin test and
// failed dumps report these words instead of a raw stderr or a stack trace.

export type DbFailure = 'connection refused' | 'authentication failed' | 'unknown host' | 'database does not exist' | 'timed out' | 'client not installed';

const PATTERNS: Array<[RegExp, DbFailure]> = [
  [/password authentication failed|authentication failed|Access denied for user|no password supplied|role ".*" does not exist/i, 'authentication failed'],
  [/could not translate host name|Unknown (MySQL |MariaDB )?server host|Name or service not known|nodename nor servname/i, 'unknown host'],
  [/Connection refused|Can't connect to (MySQL |MariaDB )?server|No such file or directory.*socket|could not connect to server: No such file/i, 'connection refused'],
  [/database ".*" does not exist|Unknown database/i, 'database does not exist'],
  [/timeout expired|timed out|Connection timed out/i, 'timed out'],
];

export function classifyDbFailure(stderr: string): DbFailure | null {
  for (const [re, failure] of PATTERNS) if (re.test(stderr)) return failure;
  return null;
}

/**
 * `pg_dump: authentication failed (password authentication failed for user "app")`. The line
 * quoted is the tool's last error line (`pg_restore: error: COPY failed …`), not the context
 * lines PostgreSQL prints after it (`CONTEXT: COPY child, line 1`), else the last line.
 */
export function describeDbFailure(tool: string, stderr: string, exitCode: number | null): string {
  const lines = stderr.trim().split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const last = [...lines].reverse().find((l) => /^[\w.-]+: error: /.test(l)) ?? lines.pop() ?? '';
  const failure = classifyDbFailure(stderr);
  const detail = last ? last.slice(0, 300) : `exit code ${exitCode}`;
  return failure ? `${tool}: ${failure} (${detail})` : `${tool} failed: ${detail}`;
}
