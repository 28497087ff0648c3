// shell_hook settings: scripts on the agent run before and after the backup.
import { InputError } from '../../../../contract/errors';
import { absolutePath, onlyFields, optionalInteger, optionalString, settingsObject } from '../config-fields';

export const SHELL_HOOK = 'shell_hook';

export interface ShellHookConfig {
  preScript?: string;
  postScript?: string;
  workingDirectory?: string;
  timeoutSeconds: number;
  /** Run the scripts as this user (runuser); root (the agent's user) by default. */
  runAsUser?: string;
}

export const DEFAULT_HOOK_TIMEOUT_SECONDS = 600;
const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

export function parseShellHookConfig(raw: unknown): ShellHookConfig {
  const s = settingsObject(raw, SHELL_HOOK);
  onlyFields(s, SHELL_HOOK, ['preScript', 'postScript', 'workingDirectory', 'timeoutSeconds', 'runAsUser']);
  const preScript = absolutePath(s, SHELL_HOOK, 'preScript', false);
  const postScript = absolutePath(s, SHELL_HOOK, 'postScript', false);
  if (!preScript && !postScript) throw new InputError(`${SHELL_HOOK}: set "preScript", "postScript" or both`);
  const workingDirectory = absolutePath(s, SHELL_HOOK, 'workingDirectory', false);
  const runAsUser = optionalString(s, SHELL_HOOK, 'runAsUser');
  if (runAsUser !== undefined && !USER_NAME.test(runAsUser)) throw new InputError(`${SHELL_HOOK}: "runAsUser" must be a user name (lower-case letters, digits, _ and -)`);
  return {
    ...(preScript ? { preScript } : {}),
    ...(postScript ? { postScript } : {}),
    ...(workingDirectory ? { workingDirectory } : {}),
    ...(runAsUser ? { runAsUser } : {}),
    timeoutSeconds: optionalInteger(s, SHELL_HOOK, 'timeoutSeconds', 1, 86_400) ?? DEFAULT_HOOK_TIMEOUT_SECONDS,
  };
}

/** The argv of one script: as the agent's user, or through runuser as another one. */
export function shellHookArgv(script: string, runAsUser: string | undefined): string[] {
  return runAsUser ? ['runuser', '-u', runAsUser, '--', script] : [script];
}
