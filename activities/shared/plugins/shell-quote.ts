// Quoting for `sh -c`: every argument single-quoted, so paths with spaces or `$` stay one word.

export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./=:@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
