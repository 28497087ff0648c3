// Command-line flag readers every CLI subcommand shares.

/** The value after `name`; a flag given without a value (end of line, or another flag next) is an error. */
export function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
  return v;
}

/** Every value of a repeatable flag, in order. */
export function flags(args: string[], name: string): string[] {
  return args.flatMap((a, i) => (a === name && args[i + 1] !== undefined ? [args[i + 1]!] : []));
}

export function positiveInt(value: string | undefined, what: string): number {
  if (!value || !/^[1-9]\d*$/.test(value)) throw new Error(`${what} must be a positive integer`);
  return Number(value);
}
