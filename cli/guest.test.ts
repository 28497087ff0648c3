import { runCli } from '../test/support/cli-harness';
import { guestJobRequest, guestRestoreRequest, parseDisk } from './guest';
import { UsageError } from './exit-codes';

const RUN_ID = '0f8e2a4c-1111-4222-8333-444455556666';

describe('guest job and restore requests', () => {
  it('parses NAME=NODE disks and refuses anything else', () => {
    expect(parseDisk('scsi0=drive-scsi0')).toEqual({ name: 'scsi0', node: 'drive-scsi0' });
    expect(parseDisk('virtio1=#block123=x')).toEqual({ name: 'virtio1', node: '#block123=x' });
    for (const bad of ['scsi0', '=node', 'scsi0=']) expect(() => parseDisk(bad)).toThrow(UsageError);
  });

  it('builds a guest job with only the fields given', () => {
    expect(guestJobRequest('vm-100', { agent: 'pve1', repository: 3, qmpSocket: '/var/run/qemu-server/100.qmp', disk: ['scsi0=drive-scsi0'] })).toEqual({
      name: 'vm-100',
      agent: 'pve1',
      repositoryId: 3,
      kind: 'guest',
      guest: { qmpSocket: '/var/run/qemu-server/100.qmp', disks: [{ name: 'scsi0', node: 'drive-scsi0' }] },
    });
    expect(guestRestoreRequest({ target: '/restores/vm.raw', disk: 'scsi0', requireApproval: true })).toEqual({ target: '/restores/vm.raw', disk: 'scsi0', requireApproval: true });
  });

  it('jobs create-guest and snapshots guest-restore send what the flags say', async () => {
    const job = { id: 5, name: 'vm-100', agent: 'pve1', repositoryId: 3, kind: 'guest', guest: { qmpSocket: '/q', disks: [{ name: 'scsi0', node: 'n0' }, { name: 'scsi1', node: 'n1' }] }, paths: [], excludes: [], snapshotMode: 'none', mode: 'push', preScript: null, postHook: null, retention: null, createdAt: '2026-12-01T12:00:00Z' };
    const created = await runCli(['jobs', 'create-guest', 'vm-100', '--agent', 'pve1', '--repository', '3', '--qmp-socket', '/q', '--disk', 'scsi0=n0', '--disk', 'scsi1=n1', '--config-file', '/etc/pve/qemu-server/100.conf'], { 'POST /v1/jobs': job });
    expect(created.code).toBe(0);
    expect(created.calls[0]!.body).toMatchObject({ kind: 'guest', guest: { qmpSocket: '/q', disks: [{ name: 'scsi0', node: 'n0' }, { name: 'scsi1', node: 'n1' }], configFiles: ['/etc/pve/qemu-server/100.conf'] } });
    expect(created.stdout).toContain('job 5 vm-100: guest scsi0 scsi1 on pve1');
    const restored = await runCli(['snapshots', 'guest-restore', 'abcdef12', '--target', '/restores/vm-100'], { 'POST /v1/snapshots/abcdef12/guest-restore': { runId: RUN_ID, workflowId: 'restore/5/x', status: 'queued' } });
    expect(restored.code).toBe(0);
    expect(restored.calls[0]!.body).toEqual({ target: '/restores/vm-100' });
  });
});
