import { channelCreateRequest, channelPatchRequest, ruleRequest } from './notify';

describe('notify CLI requests', () => {
  it('builds a channel from --kind, --settings and --set, secrets from the environment only', () => {
    expect(channelCreateRequest(['ops', '--kind', 'webhook', '--settings', '{"timeoutMs":5000}', '--set', 'url=https://hooks.example/x?a=b', '--secret', 'hmacKey=HOOK_KEY'], { HOOK_KEY: 's3cret' })).toEqual({
      name: 'ops',
      kind: 'webhook',
      settings: { timeoutMs: 5000, url: 'https://hooks.example/x?a=b' },
      secrets: { hmacKey: 's3cret' },
    });
    expect(channelCreateRequest(['ops', '--kind', 'webhook'], {})).toEqual({ name: 'ops', kind: 'webhook', settings: {} });
    expect(() => channelCreateRequest(['ops', '--kind', 'webhook', '--secret', 'token=NOPE'], {})).toThrow('--secret token: environment variable NOPE is not set');
    expect(() => channelCreateRequest(['ops', '--kind', 'webhook', '--secret', 'token=s3cr3t!'], {})).toThrow('--secret takes FIELD=ENVVAR');
    expect(() => channelCreateRequest(['ops'], {})).toThrow('needs --kind');
    expect(() => channelCreateRequest(['ops', '--kind', 'webhook', '--settings', '[1]'], {})).toThrow('--settings must be a JSON object');
    expect(() => channelCreateRequest(['ops', '--kind', 'webhook', '--set', 'novalue'], {})).toThrow('--set takes key=value');
  });

  it('edits single settings on top of the current ones, sets and removes secrets', () => {
    const current = { settings: { url: 'https://a.example', method: 'POST' } };
    expect(channelPatchRequest(['--set', 'url=https://b.example', '--secret', 'token=T', '--remove-secret', 'hmacKey'], current, { T: 'tok' })).toEqual({
      settings: { url: 'https://b.example', method: 'POST' },
      secrets: { token: 'tok', hmacKey: null },
    });
    expect(channelPatchRequest(['--name', 'renamed'], current, {})).toEqual({ name: 'renamed' });
    expect(channelPatchRequest(['--settings', '{"url":"https://c.example"}'], current, {})).toEqual({ settings: { url: 'https://c.example' } });
    expect(() => channelPatchRequest([], current, {})).toThrow('needs something to change');
  });

  it('builds global, job and repository rules', () => {
    expect(ruleRequest(['--channel', '2', '--event', 'run.failed', '--event', 'prune.failed'])).toEqual({ channelId: 2, events: ['run.failed', 'prune.failed'], scope: 'global' });
    expect(ruleRequest(['--channel', '2', '--event', 'run.failed', '--job', '7'])).toEqual({ channelId: 2, events: ['run.failed'], scope: 'job', jobId: 7 });
    expect(ruleRequest(['--channel', '2', '--event', 'run.failed', '--repository', '3'])).toEqual({ channelId: 2, events: ['run.failed'], scope: 'repository', repositoryId: 3 });
    expect(() => ruleRequest(['--channel', '2', '--event', 'run.failed', '--job', '7', '--repository', '3'])).toThrow('not both');
    expect(() => ruleRequest(['--channel', '2'])).toThrow('at least one --event');
    expect(() => ruleRequest(['--event', 'run.failed'])).toThrow('--channel must be a positive integer');
  });
});
