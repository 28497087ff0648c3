// No systemd or Docker engine runs here: the agent's unit file, image recipe and env-var
// reference are checked by reading them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS, settingsTable } from '../../core/settings';
import { PRODUCTION_SERVICES } from '../production-services';

const root = join(__dirname, '..', '..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');

/** `Key=value` lines of one [Section] of a unit file (repeated keys keep the last). */
function unitSection(text: string, section: string): Record<string, string> {
  const out: Record<string, string> = {};
  let current = '';
  for (const line of text.split('\n')) {
    const s = /^\[(\w+)\]$/.exec(line.trim());
    if (s) current = s[1]!;
    else if (current === section && /^\w+=/.test(line)) {
      const i = line.indexOf('=');
      out[line.slice(0, i)] = line.slice(i + 1);
    }
  }
  return out;
}

describe('deploy/agent', () => {
  const service = read('deploy/agent/backstop-agent.service');
  const unit = unitSection(service, 'Service');

  it('runs the agent as root with only the capabilities for reading, snapshots and mounts', () => {
    expect(unit.ExecStart).toBe('/opt/backstop/bin/backstop-agent');
    expect(unit.User).toBe('root');
    const caps = unit.CapabilityBoundingSet!.split(/\s+/);
    expect(caps).toEqual(expect.arrayContaining(['CAP_DAC_READ_SEARCH', 'CAP_SYS_ADMIN']));
    expect(caps).not.toContain('CAP_SYS_MODULE');
    expect(caps).not.toContain('CAP_NET_ADMIN');
  });

  it('hardens without hiding files the agent must read', () => {
    expect(unit).toMatchObject({ NoNewPrivileges: 'yes', ProtectSystem: 'full', ProtectKernelModules: 'yes', RestrictNamespaces: 'mnt' });
    expect(unit.ProtectHome).toBeUndefined();
    expect(unit.ProtectSystem).not.toBe('strict');
    expect(unit.Environment).toBeDefined();
    expect(service).toContain('Environment=BACKSTOP_AGENT_HOME=/etc/backstop-agent');
    expect(unit.RestartPreventExitStatus).toBe('3');
  });

  it('builds an image that documents DAC_READ_SEARCH and its config and state volumes', () => {
    const docker = read('deploy/agent/Dockerfile');
    expect(docker).toMatch(/DAC_READ_SEARCH/);
    expect(docker).toMatch(/SYS_ADMIN/);
    expect(docker).toMatch(/VOLUME \["\/etc\/backstop-agent", "\/var\/lib\/backstop-agent"\]/);
    // The command the production suite starts an agent with.
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(docker)?.[1];
    expect(JSON.parse(entrypoint ?? 'null')).toEqual(PRODUCTION_SERVICES.agent.command);
    for (const path of [...docker.matchAll(/^COPY (\S+) \1$/gm)].map((m) => m[1]!)) expect(existsSync(join(root, path))).toBe(true);
  });

  it('shows the settings the agent reads, as core/settings.ts lists them', () => {
    const agentSettings = SETTINGS.filter((v) => v.readBy.includes('agent'));
    expect(agentSettings.length).toBeGreaterThan(15);
    expect(read('deploy/agent/README.md')).toContain(settingsTable('agent'));
  });
});
