import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PluginContext } from '../../../../contract/plugin-api';
import { loadPluginModules, PluginRegistry } from '../registry';

describe('the sample hello_file plugin', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hello-file-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const ctx = (lines: string[]): PluginContext => ({
    runId: 'r1',
    jobId: 3,
    jobName: 'web',
    agentName: 'web1',
    configId: 9,
    workDir: dir,
    signal: new AbortController().signal,
    log: (_s, l) => lines.push(l),
  });

  it('loads from its module path as a third-party plugin would, and runs its lifecycle', async () => {
    const registry = new PluginRegistry();
    await loadPluginModules(registry, [join(__dirname, 'hello-file.ts')]);
    const plugin = registry.get('hello_file');
    expect(plugin.secretFields).toEqual(['signature']);
    const config = plugin.parseConfig({ greeting: 'bonjour' });
    const lines: string[] = [];
    await plugin.backupInit!(ctx(lines), config);
    const contribution = await plugin.backup!(ctx(lines), config);
    expect(contribution.streams).toEqual([]);
    expect(contribution.paths).toEqual([join(dir, 'hello')]);
    expect(await readFile(join(dir, 'hello', 'hello.txt'), 'utf8')).toBe('bonjour from web1, job web\n');
    expect(lines).toEqual([`wrote ${join(dir, 'hello', 'hello.txt')}`]);
    await plugin.backupCleanup!(ctx(lines), config, { success: true, snapshotId: 'abc' });
    await expect(stat(join(dir, 'hello'))).rejects.toThrow(/ENOENT/);
    expect(await plugin.test(ctx(lines), config)).toEqual({ ok: true, checks: [{ name: 'work directory writable', ok: true, detail: dir }] });
  });

  it('refuses unknown and ill-typed settings with the field named', async () => {
    const registry = new PluginRegistry();
    await loadPluginModules(registry, [join(__dirname, 'hello-file.ts')]);
    const plugin = registry.get('hello_file');
    expect(() => plugin.parseConfig({ greting: 'x' })).toThrow('hello_file: unknown setting "greting" (known: greeting, signature)');
    expect(() => plugin.parseConfig({ greeting: 4 })).toThrow('hello_file: "greeting" must be a non-empty string');
    expect(() => plugin.parseConfig('x')).toThrow('hello_file: settings must be an object');
  });
});
