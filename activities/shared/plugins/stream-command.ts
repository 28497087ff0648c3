// The engine runs a stream's command (restic --stdin-from-command, borg --content-from-command)
// with its own environment, which
// holds the repository password and backend keys. The command must not see them: it runs
// through `env -u …`, which removes them before exec.

/** `env -u RESTIC_PASSWORD -u … -- command args…` */
export function streamCommandArgv(command: string, args: readonly string[], hiddenEnv: readonly string[]): string[] {
  const unset = [...new Set(hiddenEnv)].sort().flatMap((k) => ['-u', k]);
  return ['env', ...unset, '--', command, ...args];
}

/**
 * What an engine's environment holds that a stream command must not inherit: restic's
 * password, borg's passphrase and its SSH command (which names the key file), the backend keys.
 */
export function engineOnlyEnv(backendEnv: Record<string, string>): string[] {
  return [
    'RESTIC_PASSWORD', 'RESTIC_REPOSITORY', 'RESTIC_PASSWORD_FILE', 'RESTIC_PASSWORD_COMMAND',
    'BORG_PASSPHRASE', 'BORG_PASSCOMMAND', 'BORG_PASSPHRASE_FD', 'BORG_REPO', 'BORG_RSH', 'BORG_KEY_FILE', 'BORG_BASE_DIR',
    ...Object.keys(backendEnv),
  ];
}
