import { loadConfig, workerVersion } from './config';

describe('workerVersion (BACKSTOP_WORKER_BUILD_ID, BACKSTOP_WORKER_DEPLOYMENT)', () => {
  it('is off without a build id, whatever the deployment says', () => {
    expect(workerVersion({})).toBeNull();
    expect(workerVersion({ BACKSTOP_WORKER_BUILD_ID: '', BACKSTOP_WORKER_DEPLOYMENT: 'other' })).toBeNull();
    expect(loadConfig({}).workerVersion).toBeNull();
  });

  it('names the deployment `backstop` unless told otherwise', () => {
    expect(workerVersion({ BACKSTOP_WORKER_BUILD_ID: '2026.12.1' })).toEqual({ deploymentName: 'backstop', buildId: '2026.12.1' });
    expect(loadConfig({ BACKSTOP_WORKER_BUILD_ID: 'abc123', BACKSTOP_WORKER_DEPLOYMENT: 'backstop-eu' }).workerVersion).toEqual({ deploymentName: 'backstop-eu', buildId: 'abc123' });
  });

  it('refuses what Temporal would refuse at the first poll', () => {
    expect(() => workerVersion({ BACKSTOP_WORKER_BUILD_ID: '1', BACKSTOP_WORKER_DEPLOYMENT: 'back.stop' })).toThrow('BACKSTOP_WORKER_DEPLOYMENT must not contain');
    expect(() => workerVersion({ BACKSTOP_WORKER_BUILD_ID: '1', BACKSTOP_WORKER_DEPLOYMENT: 'back:stop' })).toThrow('BACKSTOP_WORKER_DEPLOYMENT must not contain');
    expect(() => workerVersion({ BACKSTOP_WORKER_BUILD_ID: '__unversioned__' })).toThrow('BACKSTOP_WORKER_BUILD_ID must be');
    expect(() => workerVersion({ BACKSTOP_WORKER_BUILD_ID: 'a b' })).toThrow('BACKSTOP_WORKER_BUILD_ID must be');
    expect(() => workerVersion({ BACKSTOP_WORKER_BUILD_ID: 'x'.repeat(256) })).toThrow('BACKSTOP_WORKER_BUILD_ID must be');
  });
});
