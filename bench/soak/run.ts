// `npm run soak -- --minutes M --kills N [--jobs J] [--seed S] [--keep] [--report FILE]`:
// the crash soak (test/production/soak/soak.ts) from the command line. Progress goes to
// stderr, the table to stdout, the report as JSON to FILE (default
// /tmp/backstop-soak-<seed>.json). Exits 0 when every check passed, 1 when one failed or the
// soak broke off, 2 on a bad command line.
import { randomBytes } from 'node:crypto';
import { parseSoakArgs, SoakArgsError, SOAK_USAGE } from '../../test/production/soak/soak-args';
import { runSoak, writeReport } from '../../test/production/soak/soak';
import { projectToolsFirstOnPath } from '../support/lifecycle';

async function main(): Promise<number> {
  let options;
  try {
    options = parseSoakArgs(process.argv.slice(2), () => randomBytes(4).readUInt32BE(0));
  } catch (err) {
    if (err instanceof SoakArgsError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (options === 'help') {
    process.stdout.write(`${SOAK_USAGE}\n`);
    return 0;
  }
  // The project's restic (0.18) for the soak's own checks, as the topology's processes use it.
  projectToolsFirstOnPath();
  const t0 = Date.now();
  const log = (line: string) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)} +${Math.round((Date.now() - t0) / 1000)}s] ${line}\n`);
  const report = await runSoak(options, { log });
  const file = options.report ?? `/tmp/backstop-soak-${options.seed}.json`;
  process.stdout.write(`${writeReport(report, file)}\n\nreport: ${file}\n`);
  return report.verdict === 'pass' ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
