// Jest global setup of the integration project: the processes the tests start (API, server
// worker, agents, `backstop up`) run the compiled JavaScript in dist/, as production does.
// Built here from this run's sources (incremental: seconds when nothing changed), so a test
// never runs stale code.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export default function buildDist(): void {
  execFileSync('bash', [join(__dirname, '..', '..', 'scripts', 'build.sh')], { stdio: 'inherit' });
}
