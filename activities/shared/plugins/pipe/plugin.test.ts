import { Readable } from 'node:stream';
import type { PluginContext } from '../../../../contract/plugin-api';
import { parsePipeConfig, pipePlugin } from './plugin';

const ctx = (lines: string[]): PluginContext => ({
  runId: 'r',
  jobId: 1,
  jobName: 'j',
  agentName: 'a',
  configId: 5,
  workDir: '/tmp',
  signal: new AbortController().signal,
  log: (_s, l) => lines.push(l),
});

describe('pipe plugin', () => {
  it('contributes its reader as a stream at its pseudo path', async () => {
    const c = parsePipeConfig({ name: 'ldap', reader: 'slapcat -n 1', writer: 'slapadd -n 1' });
    expect(await pipePlugin.backup!(ctx([]), c)).toEqual({
      paths: [],
      streams: [{ item: 'ldap', pseudoPath: '/backstop/pipe/config-5/ldap', command: '/bin/sh', args: ['-c', 'slapcat -n 1'], env: {} }],
    });
  });

  it('feeds the stored data to its writer on restore, with the target in the environment', async () => {
    const lines: string[] = [];
    const c = parsePipeConfig({ name: 'x', reader: 'true', writer: 'echo "to $BACKSTOP_RESTORE_TARGET: $(cat)"' });
    await pipePlugin.restore!(ctx(lines), c, { input: Readable.from(['hello ', 'pipe']), pseudoPath: '/backstop/pipe/config-5/x', target: 'copy', overwrite: false });
    expect(lines).toEqual(['to copy: hello pipe']);
    const failing = parsePipeConfig({ name: 'x', reader: 'true', writer: 'cat >/dev/null; echo broken >&2; exit 4' });
    await expect(pipePlugin.restore!(ctx([]), failing, { input: Readable.from(['data']), pseudoPath: '/p', target: 't', overwrite: false })).rejects.toThrow('pipe "x" writer exited with code 4: broken');
  });

  it('checks its commands without running them, and refuses a bad configuration', async () => {
    expect((await pipePlugin.test(ctx([]), parsePipeConfig({ name: 'x', reader: 'echo ok', writer: 'if then' }))).checks.map((c) => c.ok)).toEqual([true, false]);
    expect(() => parsePipeConfig({ name: 'x' })).toThrow('pipe: "reader" is required and must be a non-empty string');
    expect(() => parsePipeConfig({ name: '../x', reader: 'true' })).toThrow(/pipe: "name" "..\/x" must be letters/);
  });
});
