// restic runs a stream's command (--stdin-from-command) with restic's own environment, which
// holds the repository password and backend keys. The command must not see them: it runs
// through `env -u …`, which removes them before exec.

/** `env -u RESTIC_PASSWORD -u … -- command args…` */
export function streamCommandArgv(command: string, args: readonly string[], hiddenEnv: readonly string[]): string[] {
  const unset = [...new Set(hiddenEnv)].sort().flatMap((k) => ['-u', k]);
  return ['env', ...unset, '--', command, ...args];
}

/** What restic's environment holds that a stream command must not inherit. */
export function resticOnlyEnv(backendEnv: Record<string, string>): string[] {
  return ['RESTIC_PASSWORD', 'RESTIC_REPOSITORY', 'RESTIC_PASSWORD_FILE', 'RESTIC_PASSWORD_COMMAND', ...Object.keys(backendEnv)];
}
