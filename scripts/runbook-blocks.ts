// The command blocks of the ops runbooks (docs/runbooks/*.md), as test/integration/runbooks.test.ts
// runs them: every ```sh block in order, ```sh manual blocks only counted. Pure, so the rules
// of what runs are tested on their own (runbook-blocks.test.ts).

export interface RunbookBlock {
  /** 1-based line of the opening fence, for messages that point at the page. */
  line: number;
  /** A ```sh manual block: commands for another machine, never run by the test. */
  manual: boolean;
  code: string;
}

const FENCE = /^```(.*)$/;

/** The shell blocks of one page; other fenced blocks (output, YAML, …) are not commands. */
export function runbookBlocks(markdown: string): RunbookBlock[] {
  const blocks: RunbookBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const info = open[1]!.trim().split(/\s+/);
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^```\s*$/.test(lines[j]!); j++) body.push(lines[j]!);
    if (j === lines.length) throw new Error(`line ${i + 1}: a code block is never closed`);
    if (info[0] === 'sh') {
      const manual = info.includes('manual');
      if (info.some((w, k) => k > 0 && w !== 'manual')) throw new Error(`line ${i + 1}: unknown block marker "${open[1]!.trim()}" (use \`\`\`sh or \`\`\`sh manual)`);
      if (manual && !/^#\s*\S/.test(body[0] ?? '')) throw new Error(`line ${i + 1}: a manual block starts with a comment saying where it runs`);
      blocks.push({ line: i + 1, manual, code: body.join('\n') });
    }
    i = j;
  }
  return blocks;
}

/**
 * The variables a page's runnable blocks read but never set themselves: the ones the operator
 * fills in (and the test provides). `$(…)`, `$?` and lower-case names are not counted.
 */
export function variablesToProvide(blocks: RunbookBlock[]): string[] {
  const code = blocks.filter((b) => !b.manual).map((b) => b.code).join('\n');
  const assigned = new Set([...code.matchAll(/(?:^|[\s;(])([A-Z][A-Z0-9_]*)=/g)].map((m) => m[1]!));
  const used = new Set([...code.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
  return [...used].filter((v) => !assigned.has(v)).sort();
}

/** One bash script of a page's runnable blocks, each announced so a failure names its block. */
export function runbookScript(blocks: RunbookBlock[]): string {
  const parts = ['set -euo pipefail'];
  for (const b of blocks.filter((x) => !x.manual)) parts.push(`echo "### block at line ${b.line}" >&2`, b.code);
  return parts.join('\n') + '\n';
}
