// restic behind a gate, for tests that must act between a run's snapshot and restic's read:
// while the gate is armed, a backup announces itself and waits to be let through (or told
// to fail with restic's wrong-password error, which no retry can fix).
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './ports';
import { TOOLS_BIN } from './tools';

export class ResticGate {
  /** The wrapper to pass as BACKSTOP_RESTIC; it execs the project's restic. */
  readonly binary: string;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.binary = join(dir, 'restic');
    const restic = join(TOOLS_BIN, '..', '..', 'bin', 'restic');
    writeFileSync(
      this.binary,
      `#!/bin/sh
if [ "$1" = backup ] && [ -e '${dir}/armed' ]; then
  rm -f '${dir}/armed'
  : > '${dir}/started'
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

  /** The next backup stops at the gate; resolves once it is there. */
  async hold(start: () => Promise<void>): Promise<void> {
    this.reset();
    writeFileSync(join(this.dir, 'armed'), '');
    await start();
    await waitFor('backup to reach restic', async () => existsSync(join(this.dir, 'started')), 60_000, 100);
  }

  release(): void {
    writeFileSync(join(this.dir, 'go'), '');
  }

  fail(): void {
    writeFileSync(join(this.dir, 'fail'), '');
  }
}
