// restic behind a gate, for tests that must act while a backup is under way, without
// guessing how long it takes:
// - `hold(start)` arms the gate for the next backup (or another command): it announces itself and waits to be let
//   through (`release`) or told to fail with restic's wrong-password error (`fail`), which
//   no retry can fix;
// - with `holdEvery`, every backup whose command line contains that text waits at the gate
//   until `release()`, and `held()` counts those that arrived.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './wait';
import { TOOLS_BIN } from './tools';

export class ResticGate {
  /** The wrapper to pass as BACKSTOP_RESTIC; it execs the project's restic. */
  readonly binary: string;

  constructor(
    private readonly dir: string,
    opts: { holdEvery?: string } = {},
  ) {
    mkdirSync(dir, { recursive: true });
    this.binary = join(dir, 'restic');
    const restic = join(TOOLS_BIN, '..', '..', 'bin', 'restic');
    const every = opts.holdEvery ? `  case "$*" in *'${opts.holdEvery.replace(/'/g, '')}'*) hold=1 ;; esac\n` : '';
    // `exec` keeps restic's own PID and command line, as the agent expects.
    writeFileSync(
      this.binary,
      `#!/bin/sh
hold=
if [ "$1" = backup ]; then
  :
${every}fi
if [ -e '${dir}/armed' ]; then
  case "$*" in $(cat '${dir}/armed')) rm -f '${dir}/armed'; hold=1 ;; esac
fi
if [ -n "$hold" ]; then
  echo $$ >> '${dir}/started'
  while [ ! -e '${dir}/go' ]; do
    if [ -e '${dir}/fail' ]; then echo 'Fatal: wrong password or no key found' >&2; exit 1; fi
    sleep 0.1
  done
fi
exec '${restic}' "$@"
`,
    );
    chmodSync(this.binary, 0o755);
  }

  reset(): void {
    for (const f of ['armed', 'started', 'go', 'fail']) rmSync(join(this.dir, f), { force: true });
  }

  /**
   * The next backup (or the next restic command whose arguments match `command`, a shell
   * case pattern such as `'dump *--archive*'`) stops at the gate; resolves once it is there.
   */
  async hold(start: () => Promise<void>, command = 'backup *'): Promise<void> {
    this.reset();
    writeFileSync(join(this.dir, 'armed'), command);
    await start();
    await waitFor(`restic ${command} to reach the gate`, async () => existsSync(join(this.dir, 'started')), 60_000, 100);
  }

  /** How many backups have come to the gate since the last reset. */
  held(): number {
    const f = join(this.dir, 'started');
    return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).length : 0;
  }

  release(): void {
    writeFileSync(join(this.dir, 'go'), '');
  }

  fail(): void {
    writeFileSync(join(this.dir, 'fail'), '');
  }
}
