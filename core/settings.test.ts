import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './project-root';
import { DOC_BEGIN, DOC_END, SETTINGS, settingsTable, withSettingsTable } from './settings';
import { loadConfig } from './config';

const root = projectRoot();
const read = (path: string) => readFileSync(join(root, path), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(join(root, path)).isDirectory()) return entry === 'generated' ? [] : sources(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

describe('settings', () => {
  it('documents exactly the variables core/config.ts reads', () => {
    const read_ = new Set(read('core/config.ts').match(/\b(BACKSTOP_[A-Z0-9_]*[A-Z0-9]|DATABASE_URL)\b/g));
    expect([...read_].sort()).toEqual(SETTINGS.map((s) => s.name).sort());
  });

  it('leaves reading the environment to core/config.ts alone', () => {
    const readers = ['activities', 'api', 'catalog', 'cli', 'contract', 'core', 'workers', 'workflows']
      .flatMap(sources)
      .filter((path) => path !== join('core', 'config.ts'))
      .filter((path) => /(process\.env|\benv)(\.|\[['"])(BACKSTOP_|DATABASE_URL)/.test(read(path)));
    expect(readers).toEqual([]);
  });

  it('names each variable once, with a meaning and its readers', () => {
    expect(new Set(SETTINGS.map((s) => s.name)).size).toBe(SETTINGS.length);
    for (const s of SETTINGS) {
      expect(s.meaning.length).toBeGreaterThan(5);
      expect(s.readBy.length).toBeGreaterThan(0);
    }
  });

  it('is what the README and the agent README show (regenerate with npm run gen:config-docs)', () => {
    for (const [doc, reader] of [['README.md', undefined], [join('deploy', 'agent', 'README.md'), 'agent']] as const) {
      const text = read(doc);
      expect(text).toContain(DOC_BEGIN);
      expect(text).toBe(withSettingsTable(text, settingsTable(reader)));
    }
  });

  it('reads the settings that used to be read ad hoc', () => {
    const c = loadConfig({ BACKSTOP_RESTIC: '/opt/restic', BACKSTOP_PLUGIN_MODULES: ' /a.js, ,/b.js', BACKSTOP_UI_PORT: '9000', BACKSTOP_INIT_CA_FINGERPRINT: '', BACKSTOP_HOSTNAME: 'db1' });
    expect(c).toMatchObject({ resticBinary: '/opt/restic', pluginModules: ['/a.js', '/b.js'], uiPort: 9000, logLevel: 'info', enrollment: { caFingerprint: undefined, hostname: 'db1' } });
    expect(() => loadConfig({ BACKSTOP_UI_PORT: 'x' })).toThrow('BACKSTOP_UI_PORT must be a non-negative integer, got "x"');
  });
});

describe('settingsTable', () => {
  it("lists one reader's settings, or all with their readers", () => {
    expect(settingsTable('agent').split('\n')[0]).toBe('| variable | default | meaning |');
    expect(settingsTable('agent')).toContain('| `BACKSTOP_AGENT_HOME` | `/etc/backstop-agent` |');
    expect(settingsTable('agent')).not.toContain('BACKSTOP_API_HOST');
    expect(settingsTable()).toMatch(/\| `BACKSTOP_API_HOST` \| `127\.0\.0\.1` \| .* \| api \|/);
  });

  it('replaces only the generated section', () => {
    expect(withSettingsTable(`a\n${DOC_BEGIN}\nold\n${DOC_END}\nb`, 'new')).toBe(`a\n${DOC_BEGIN}\nnew\n${DOC_END}\nb`);
    expect(() => withSettingsTable('no markers', 'x')).toThrow('has no');
  });
});
