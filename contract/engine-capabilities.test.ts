import { UnsupportedByEngineError } from './errors';
import { ENGINE_CAPABILITIES, ENGINE_OPERATIONS, checkAgentHasEngine, checkJobForEngine, checkRetentionForEngine, requireCapability } from './engine-capabilities';

test('restic can do everything; borg all but mount; pbs pull only, no streams, check, S3 sync or drill', () => {
  for (const op of ENGINE_OPERATIONS) expect(() => requireCapability('restic', op)).not.toThrow();
  expect(ENGINE_OPERATIONS.filter((op) => ENGINE_CAPABILITIES.borg[op] !== true)).toEqual(['mount']);
  expect(ENGINE_OPERATIONS.filter((op) => ENGINE_CAPABILITIES.pbs[op] !== true)).toEqual(['push', 'stdin', 'mount', 'check', 's3Sync', 'drill']);
});

test('a refusal names the engine, the operation and what to do instead', () => {
  expect(() => requireCapability('pbs', 'push')).toThrow(new UnsupportedByEngineError('pbs', 'back up in push mode', ENGINE_CAPABILITIES.pbs.push as string));
  expect(() => requireCapability('borg', 'mount')).toThrow('borg repositories cannot be mounted: Backstop mounts restic repositories only');
  expect(() => requireCapability('borg', 'prune', { appendOnly: true })).toThrow('borg repositories cannot be pruned when served append-only');
  expect(() => requireCapability('borg', 's3Sync', { local: false })).toThrow('from a remote location');
  expect(() => requireCapability('borg', 's3Sync', { local: true })).not.toThrow();
  expect(() => requireCapability('pbs', 'drill')).toThrow('pbs repositories cannot be drilled: a drill starts with the engine\'s own check');
});

test('retention: borg and pbs have no tags, borg keeps within one unit, pbs by counts only', () => {
  expect(() => checkRetentionForEngine('restic', { keepTags: ['a'], keepWithin: '1y2m' })).not.toThrow();
  expect(() => checkRetentionForEngine('borg', { keepTags: ['a'] })).toThrow('keepTags');
  expect(() => checkRetentionForEngine('borg', { keepWithin: '30d', keepDaily: 7 })).not.toThrow();
  expect(() => checkRetentionForEngine('borg', { keepWithin: '1d12h' })).toThrow('one number and unit');
  expect(() => checkRetentionForEngine('pbs', { keepWithin: '30d' })).toThrow('counts only');
  expect(() => checkRetentionForEngine('pbs', { keepLast: 3 })).not.toThrow();
});

test('a job fits its engine: pbs jobs pull, carry no streams', () => {
  expect(() => checkJobForEngine('pbs', { mode: 'pull', retention: { keepDaily: 7 } })).not.toThrow();
  expect(() => checkJobForEngine('pbs', { mode: 'push' })).toThrow(UnsupportedByEngineError);
  expect(() => checkJobForEngine('pbs', { mode: 'pull', pluginCount: 1 })).toThrow('streams');
  expect(() => checkJobForEngine('borg', { mode: 'push', pluginCount: 2 })).not.toThrow();
});

test('a push job needs its engine on the agent, when the agent has said what it has', () => {
  const agent = (engines: string[] | null) => ({ name: 'web-1', capabilities: engines && { engines: engines.map((name) => ({ name })) } });
  expect(() => checkAgentHasEngine('borg', 'push', agent(['restic', 'borg']))).not.toThrow();
  expect(() => checkAgentHasEngine('borg', 'push', agent(['restic']))).toThrow('the agent reports no borg binary');
  expect(() => checkAgentHasEngine('borg', 'pull', agent(['restic']))).not.toThrow();
  expect(() => checkAgentHasEngine('borg', 'push', agent(null))).not.toThrow();
});
