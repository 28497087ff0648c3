// deploy/prometheus/ checked by Prometheus' own tool (Debian's prometheus package, installed
// by scripts/setup.sh): the config and rules parse, and each alert fires on the series that
// should fire it (alerts.test.yml). That the metrics they name exist in a real scrape is
// test/integration/metrics.test.ts's part.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const dir = join(__dirname, 'prometheus');
const promtool = (...args: string[]) => promisify(execFile)('promtool', args, { cwd: dir });

describe('deploy/prometheus', () => {
  it('is a valid Prometheus configuration with valid rules', async () => {
    await expect(promtool('check', 'config', 'prometheus.yml')).resolves.toMatchObject({ stdout: expect.stringContaining('SUCCESS: prometheus.yml is valid') });
    await expect(promtool('check', 'rules', 'alerts.yml')).resolves.toMatchObject({ stdout: expect.stringMatching(/SUCCESS: \d+ rules found/) });
  });

  it('fires each alert when, and only when, its unit tests say', async () => {
    await expect(promtool('test', 'rules', 'alerts.test.yml')).resolves.toMatchObject({ stdout: expect.stringContaining('SUCCESS') });
  });
});
