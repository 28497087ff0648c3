// pipe (Bareos' bpipe): a reader command whose stdout is stored at the pseudo path
// /backstop/pipe/config-<id>/<name>, and a writer command that receives it on stdin at
// restore time (BACKSTOP_RESTORE_TARGET names the target). Both run with /bin/sh -c on the
// agent; a reader that exits non-zero stores nothing (restic --stdin-from-command).
import { BackstopError, ErrorType } from '../../../../contract/errors';
import { runProcess } from '../../process';
import { onlyFields, optionalString, requiredString, settingsObject } from '../config-fields';
import { reportOf, type BackstopPlugin, type PluginCheck } from '../../../../contract/plugin-api';
import { checkDatabaseName } from '../db/identifiers';

export const PIPE = 'pipe';

export interface PipeConfig {
  name: string;
  reader: string;
  writer?: string;
}

export function parsePipeConfig(raw: unknown): PipeConfig {
  const s = settingsObject(raw, PIPE);
  onlyFields(s, PIPE, ['name', 'reader', 'writer']);
  const name = checkDatabaseName(requiredString(s, PIPE, 'name'), `${PIPE}: "name"`);
  const writer = optionalString(s, PIPE, 'writer');
  return { name, reader: requiredString(s, PIPE, 'reader'), ...(writer ? { writer } : {}) };
}

export function pipePseudoPath(configId: number, name: string): string {
  return `/backstop/pipe/config-${configId}/${name}`;
}

/** `sh -n`: the command parses (a dry check that runs nothing). */
async function syntaxCheck(label: string, command: string): Promise<PluginCheck> {
  const r = await runProcess('/bin/sh', ['-n', '-c', command]);
  return r.exitCode === 0 ? { name: label, ok: true, detail: 'parses' } : { name: label, ok: false, detail: `${label} does not parse: ${r.stderrTail.trim()}` };
}

export const pipePlugin: BackstopPlugin<PipeConfig> = {
  type: PIPE,
  description: "a reader command's stdout stored at a pseudo path; a writer command receives it on restore",
  capabilities: { engines: ['restic'], restoreTargets: ['stream'] },
  secretFields: [],
  parseConfig: parsePipeConfig,

  async backup(ctx, c) {
    return { paths: [], streams: [{ item: c.name, pseudoPath: pipePseudoPath(ctx.configId, c.name), command: '/bin/sh', args: ['-c', c.reader], env: {} }] };
  },

  async restore(ctx, c, req) {
    if (!c.writer) throw new BackstopError(ErrorType.input, `pipe "${c.name}" has no writer command to restore into`);
    const r = await runProcess('/bin/sh', ['-c', c.writer], {
      env: { BACKSTOP_RESTORE_TARGET: req.target, BACKSTOP_PSEUDO_PATH: req.pseudoPath },
      stdinFrom: req.input,
      signal: ctx.signal,
      onStdoutLine: (l) => ctx.log('stdout', l),
      onStderrLine: (l) => ctx.log('stderr', l),
    });
    if (r.exitCode !== 0) throw new BackstopError(ErrorType.hook, `pipe "${c.name}" writer exited with code ${r.exitCode}: ${r.stderrTail.trim().split('\n').pop() ?? ''}`);
  },

  async test(_ctx, c) {
    return reportOf([await syntaxCheck('reader', c.reader), ...(c.writer ? [await syntaxCheck('writer', c.writer)] : [])]);
  },
};
