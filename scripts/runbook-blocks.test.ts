import { runbookBlocks, runbookScript, variablesToProvide } from './runbook-blocks';

const page = [
  '# Title',
  '```sh',
  'backstop runs show "$RUN"',
  'SNAPSHOT=$(backstop snapshots list --job "$JOB" | tail -n 1)',
  '```',
  'text',
  '```json',
  '{"not": "a command"}',
  '```',
  '```sh manual',
  '# on the agent host:',
  'systemctl restart backstop-agent "$HOST_ONLY_HERE"',
  '```',
  '```sh',
  'backstop snapshots ls "$SNAPSHOT" "${TARGET}"',
  '```',
].join('\n');

describe('runbookBlocks', () => {
  it('takes sh blocks in order, marks manual ones, skips other languages', () => {
    const blocks = runbookBlocks(page);
    expect(blocks.map((b) => [b.line, b.manual])).toEqual([
      [2, false],
      [10, true],
      [14, false],
    ]);
    expect(blocks[0]!.code).toBe('backstop runs show "$RUN"\nSNAPSHOT=$(backstop snapshots list --job "$JOB" | tail -n 1)');
  });

  it('refuses an unclosed block, an unknown marker, and a manual block that does not say where it runs', () => {
    expect(() => runbookBlocks('```sh\nls')).toThrow('line 1: a code block is never closed');
    expect(() => runbookBlocks('```sh maybe\nls\n```')).toThrow('unknown block marker "sh maybe"');
    expect(() => runbookBlocks('```sh manual\nls\n```')).toThrow('line 1: a manual block starts with a comment');
  });
});

describe('variablesToProvide', () => {
  it('lists what the runnable blocks read and never set, not what manual blocks read', () => {
    expect(variablesToProvide(runbookBlocks(page))).toEqual(['JOB', 'RUN', 'TARGET']);
  });
});

describe('runbookScript', () => {
  it('runs the runnable blocks under set -euo pipefail, each announced by its line', () => {
    const script = runbookScript(runbookBlocks(page));
    expect(script.startsWith('set -euo pipefail\n')).toBe(true);
    expect(script).toContain('echo "### block at line 14" >&2\nbackstop snapshots ls');
    expect(script).not.toContain('systemctl');
  });
});
