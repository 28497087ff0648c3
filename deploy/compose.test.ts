// No Docker engine runs here, so the production compose file is checked by parsing it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SearchAttribute } from '../contract/names';

const root = join(__dirname, '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { image?: string; build?: unknown; depends_on?: string[] | Record<string, unknown>; environment?: Record<string, string>; volumes?: string[]; ports?: string[]; command?: unknown }>;
  volumes: Record<string, unknown>;
};
const services = Object.entries(compose.services);

describe('docker-compose.yml', () => {
  it('gives every service an image or a build', () => {
    for (const [, s] of services) expect(Boolean(s.image) || Boolean(s.build)).toBe(true);
  });

  it('depends only on services that exist', () => {
    for (const [, s] of services) {
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      for (const d of deps) expect(Object.keys(compose.services)).toContain(d);
    }
  });

  it('sets Temporal up on PostgreSQL with the admin tools, not auto-setup', () => {
    expect(services.some(([, s]) => s.image?.includes('auto-setup'))).toBe(false);
    expect(compose.services.temporal?.environment?.DB).toBe('postgres12');
    expect(JSON.stringify(compose.services['temporal-schema']?.command)).toMatch(/temporal-sql-tool --plugin postgres12/);
  });

  it('registers every search attribute', () => {
    const setup = JSON.stringify(compose.services['temporal-setup']?.command);
    for (const name of Object.values(SearchAttribute)) expect(setup).toContain(name);
  });

  it('configures the API and server worker without a default master key', () => {
    for (const name of ['api', 'server-worker']) {
      const env = compose.services[name]!.environment!;
      expect(env.DATABASE_URL).toMatch(/^postgres:\/\//);
      expect(env.BACKSTOP_TEMPORAL_ADDRESS).toBe('temporal:7233');
      expect(env.BACKSTOP_MASTER_KEY).toMatch(/^\$\{BACKSTOP_MASTER_KEY:\?/);
    }
  });

  it('declares every named volume and publishes each port once', () => {
    const named = services.flatMap(([, s]) => s.volumes ?? []).map((v) => v.split(':')[0]!).filter((v) => !v.startsWith('.'));
    for (const v of named) expect(Object.keys(compose.volumes)).toContain(v);
    const ports = services.flatMap(([, s]) => s.ports ?? []).map((p) => p.split(':')[0]);
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('runs Prometheus on deploy/prometheus, scraping the API and server worker where they listen', () => {
    const prometheus = compose.services.prometheus!;
    expect(prometheus.volumes).toContain('./deploy/prometheus:/etc/prometheus:ro');
    const config = parse(readFileSync(join(root, 'deploy', 'prometheus', 'prometheus.yml'), 'utf8')) as {
      rule_files: string[];
      scrape_configs: Array<{ job_name: string; static_configs?: Array<{ targets: string[] }> }>;
    };
    const targets = (job: string) => config.scrape_configs.find((c) => c.job_name === job)?.static_configs?.flatMap((c) => c.targets) ?? [];
    const port = (listen: string | undefined) => listen?.split(':').at(-1);
    expect(targets('backstop-api')).toEqual([`api:${port(compose.services.api!.environment!.BACKSTOP_METRICS_LISTEN)}`]);
    expect(targets('backstop-server-worker')).toEqual([`server-worker:${port(compose.services['server-worker']!.environment!.BACKSTOP_TEMPORAL_METRICS_LISTEN)}`]);
    for (const f of config.rule_files) expect(existsSync(join(root, 'deploy', 'prometheus', f))).toBe(true);
    // The metrics ports stay on the compose network.
    expect(services.flatMap(([, s]) => s.ports ?? []).some((p) => /^947\d:/.test(p))).toBe(false);
  });

  it('builds from a Dockerfile stage named app', () => {
    expect(readFileSync(join(root, 'deploy', 'Dockerfile'), 'utf8')).toMatch(/^FROM \S+ AS app$/m);
  });
});
