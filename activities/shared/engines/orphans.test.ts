import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineProcessRegistry } from './orphans';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'orphans-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('stopAll kills every recorded process that carries the marker, spares others, forgets all records', async () => {
  const registry = new EngineProcessRegistry(join(dir, 'pids'));
  const marked = spawn('sleep', ['3600'], { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => marked.once('exit', (_code, sig) => resolve(sig)));
  registry.record('mount-1', marked.pid!);
  // This test's own process does not carry the marker: it must survive.
  registry.record('mount-2', process.pid);
  const stopped = await registry.stopAll('3600');
  expect(stopped).toEqual([marked.pid]);
  expect(await exited).toBe('SIGKILL');
  expect(readdirSync(join(dir, 'pids'))).toEqual([]);
});

test('stopAll on an empty registry stops nothing', async () => {
  expect(await new EngineProcessRegistry(join(dir, 'pids')).stopAll('x')).toEqual([]);
});
