// The generated scripts are loaded into a real bash and asked what they complete, as the
// shell asks them on Tab; the zsh script is checked for its shape here (zsh's completion
// system needs an interactive shell: test/integration/cli.test.ts presses Tab in both).
import { execFileSync } from 'node:child_process';
import { bashCompletion, commandTree, zshCompletion } from './completion';
import { fullProgram } from './main';

const tree = commandTree(fullProgram({ env: {}, stdout: { write: () => {}, isTTY: false, columns: 80 }, stderr: () => {} }).program);
const script = bashCompletion(tree);

/** What bash offers after `words` (the last one is being typed). */
function complete(words: string[]): string[] {
  const line = ['backstop', ...words];
  const probe = `${script}
COMP_WORDS=(${line.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${line.length - 1}
_backstop
printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', probe], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
}

test('bash offers the groups, then their commands, then the flags of a command', () => {
  expect(complete(['r'])).toEqual(['repos', 'runs']);
  expect(complete(['runs', ''])).toEqual(expect.arrayContaining(['list', 'show', 'log', 'cancel', 'approve', 'reject', '--json', '--help']));
  expect(complete(['runs', 'list', '--k'])).toEqual(['--kind']);
  // An id between the command and the cursor does not stop the walk down the tree.
  expect(complete(['jobs', 'run', '7', '--w'])).toEqual(['--wait']);
  expect(complete(['--json', 'jobs', 'drill-s'])).toEqual(['drill-set', 'drill-show']);
});

test('the bash script is valid bash and registers itself for backstop', () => {
  expect(() => execFileSync('bash', ['-n'], { input: script })).not.toThrow();
  expect(script).toMatch(/\ncomplete -F _backstop backstop\n$/);
});

test('the zsh script is a compdef function with each command described', () => {
  const zsh = zshCompletion(tree);
  expect(zsh.startsWith('#compdef backstop\n')).toBe(true);
  expect(zsh).toContain("'jobs') reply=(");
  expect(zsh).toContain("'run:start a backup run of the job now'");
  expect(zsh).toContain("'runs list') reply=(");
  // Still valid as POSIX-ish shell text for bash's parser (zsh's own syntax aside): no unbalanced quotes.
  expect(() => execFileSync('bash', ['-n'], { input: zsh.replace(/\(\( .* \)\)/g, 'true') })).not.toThrow();
});
