import { runCli } from '../test/support/cli-harness';
import { containerJobRequest, containerRestoreRequest } from './container';
import { UsageError } from './exit-codes';

const RUN_ID = '0f8e2a4c-1111-4222-8333-444455556666';

describe('container job and restore requests', () => {
  it('builds a container job with only the fields given, the job name as the container name by default', () => {
    expect(containerJobRequest('c1', { agent: 'host1', repository: 3, runtime: 'lxc' })).toEqual({ name: 'c1', agent: 'host1', repositoryId: 3, kind: 'container', container: { runtime: 'lxc', name: 'c1' } });
    expect(containerJobRequest('web', { agent: 'host1', repository: 3, runtime: 'directory', containerName: 'web1', rootfs: '/srv/web/rootfs', config: '/srv/web/config', snapshotMode: 'btrfs' })).toEqual({
      name: 'web',
      agent: 'host1',
      repositoryId: 3,
      kind: 'container',
      container: { runtime: 'directory', name: 'web1', rootfs: '/srv/web/rootfs', config: '/srv/web/config' },
      snapshotMode: 'btrfs',
    });
    expect(() => containerJobRequest('c1', { agent: 'a', repository: 1, runtime: 'docker' })).toThrow(UsageError);
  });

  it('builds a restore request and refuses a format it does not know', () => {
    expect(containerRestoreRequest({ target: '/restores/c1', format: 'tar' })).toEqual({ target: '/restores/c1', format: 'tar' });
    expect(containerRestoreRequest({ target: '/restores/c1', format: 'directory', agent: 'other' })).toEqual({ target: '/restores/c1', format: 'directory', agent: 'other' });
    expect(() => containerRestoreRequest({ target: '/r', format: 'zip' })).toThrow(UsageError);
  });

  it('jobs create-container and snapshots container-restore send what the flags say', async () => {
    const job = { id: 7, name: 'c1', agent: 'host1', repositoryId: 3, kind: 'container', guest: null, container: { runtime: 'directory', name: 'c1', rootfs: '/srv/c1' }, paths: [], excludes: [], snapshotMode: 'none', mode: 'push', preScript: null, postHook: null, retention: null, createdAt: '2026-12-01T12:00:00Z' };
    const created = await runCli(['jobs', 'create-container', 'c1', '--agent', 'host1', '--repository', '3', '--runtime', 'directory', '--rootfs', '/srv/c1'], { 'POST /v1/jobs': job });
    expect(created.code).toBe(0);
    expect(created.calls[0]!.body).toEqual({ name: 'c1', agent: 'host1', repositoryId: 3, kind: 'container', container: { runtime: 'directory', name: 'c1', rootfs: '/srv/c1' } });
    expect(created.stdout).toContain('job 7 c1: directory container c1 on host1');
    const restored = await runCli(['snapshots', 'container-restore', 'abcdef12', '--target', '/restores/c1', '--format', 'tar'], { 'POST /v1/snapshots/abcdef12/container-restore': { runId: RUN_ID, workflowId: 'restore/7/x', status: 'queued' } });
    expect(restored.code).toBe(0);
    expect(restored.calls[0]!.body).toEqual({ target: '/restores/c1', format: 'tar' });
    const bad = await runCli(['snapshots', 'container-restore', 'abcdef12', '--target', '/restores/c1', '--format', 'zip'], {});
    expect(bad.code).not.toBe(0);
    expect(bad.calls).toHaveLength(0);
  });
});
