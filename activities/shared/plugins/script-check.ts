// Is a script there and runnable (by the user it will run as)? The plugin test reports the
// common failures in words: missing, not a file, not executable, unknown user.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { runProcess } from '../process';
import type { PluginCheck } from '../../../contract/plugin-api';

export async function userExists(user: string): Promise<boolean> {
  const r = await runProcess('id', ['-u', user]);
  return r.exitCode === 0;
}

export async function checkScript(label: string, path: string, runAsUser?: string): Promise<PluginCheck> {
  const name = `${label} ${path}`;
  try {
    const st = await stat(path);
    if (!st.isFile()) return { name, ok: false, detail: `${label} ${path} is not a regular file` };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { name, ok: false, detail: code === 'ENOENT' ? `${label} ${path} is missing (no such file)` : `${label} ${path} cannot be read: ${code}` };
  }
  if (runAsUser) {
    if (!(await userExists(runAsUser))) return { name, ok: false, detail: `user "${runAsUser}" does not exist on this agent` };
    const r = await runProcess('runuser', ['-u', runAsUser, '--', 'test', '-x', path]);
    if (r.exitCode !== 0) return { name, ok: false, detail: `${label} ${path} is not executable by user "${runAsUser}"` };
    return { name, ok: true, detail: `present and executable by "${runAsUser}"` };
  }
  try {
    await access(path, constants.X_OK);
  } catch {
    return { name, ok: false, detail: `${label} ${path} is not executable` };
  }
  return { name, ok: true, detail: 'present and executable' };
}

export async function checkDirectory(label: string, path: string): Promise<PluginCheck> {
  try {
    const st = await stat(path);
    return st.isDirectory() ? { name: label, ok: true, detail: path } : { name: label, ok: false, detail: `${label} ${path} is not a directory` };
  } catch {
    return { name: label, ok: false, detail: `${label} ${path} does not exist` };
  }
}
