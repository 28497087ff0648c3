import { checkGuestJobUpdate, checkJobSource, guestRestoreNeedsApproval } from './guest';
import { InputError } from './errors';

const guest = { qmpSocket: '/run/qemu-server/100.qmp', disks: [{ name: 'scsi0', node: 'drive-scsi0' }] };

function refusal(b: Parameters<typeof checkJobSource>[0]): { message: string; path: string } {
  try {
    checkJobSource(b);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    const err = e as InputError;
    return { message: err.message, path: (err.details?.errors as Array<{ path: string }>)[0]!.path };
  }
  throw new Error('not refused');
}

describe('checkJobSource', () => {
  it('takes a files job with paths and a guest job with a guest', () => {
    expect(() => checkJobSource({ paths: ['/srv'] })).not.toThrow();
    expect(() => checkJobSource({ kind: 'files', paths: ['/srv'] })).not.toThrow();
    expect(() => checkJobSource({ kind: 'guest', guest: { ...guest, configFiles: ['/etc/pve/qemu-server/100.conf'], segmentBytes: 1 << 20 } })).not.toThrow();
  });

  it.each([
    [{ kind: 'files' as const }, '/paths'],
    [{ kind: 'files' as const, paths: ['/srv'], guest }, '/guest'],
    [{ kind: 'guest' as const }, '/guest'],
    [{ kind: 'guest' as const, guest, paths: ['/srv'] }, '/paths'],
    [{ kind: 'guest' as const, guest, excludes: ['*.tmp'] }, '/excludes'],
    [{ kind: 'guest' as const, guest, snapshotMode: 'lvm' }, '/snapshotMode'],
    [{ kind: 'guest' as const, guest, mode: 'pull' }, '/mode'],
    [{ kind: 'guest' as const, guest, preScript: 'echo' }, '/preScript'],
    [{ kind: 'guest' as const, guest: { ...guest, disks: [guest.disks[0]!, { name: 'scsi0', node: 'other' }] } }, '/guest/disks/1/name'],
    [{ kind: 'guest' as const, guest: { ...guest, disks: [guest.disks[0]!, { name: 'scsi1', node: 'drive-scsi0' }] } }, '/guest/disks/1/node'],
    [{ kind: 'guest' as const, guest: { ...guest, segmentBytes: 3 * 65536 } }, '/guest/segmentBytes'],
    [{ kind: 'guest' as const, guest: { ...guest, configFiles: ['/a/100.conf', '/b/100.conf'] } }, '/guest/configFiles/1'],
  ])('refuses %j, naming %s', (body, path) => {
    const r = refusal(body);
    expect(r.path).toBe(path);
    expect(r.message.startsWith(path.slice(1).replace(/\//g, '.'))).toBe(true);
  });
});

describe('guestRestoreNeedsApproval', () => {
  it.each([
    ['destructive', false, 'image-file', false],
    ['destructive', false, 'directory', false],
    ['destructive', false, 'block-device', true],
    ['destructive', true, 'image-file', true],
    ['always', false, 'directory', true],
    ['never', false, 'block-device', false],
    ['never', true, 'block-device', true],
  ] as const)('%s, asked %s, into a %s: %s', (mode, asked, kind, expected) => {
    expect(guestRestoreNeedsApproval(mode, asked, kind)).toBe(expected);
  });
});

describe('checkGuestJobUpdate', () => {
  it("takes a guest job's own edits and refuses a files job's fields, naming each", () => {
    expect(() => checkGuestJobUpdate({})).not.toThrow();
    expect(() => checkGuestJobUpdate({ mode: 'push', snapshotMode: 'none' })).not.toThrow();
    for (const [b, path] of [
      [{ paths: ['/srv'] }, 'paths'],
      [{ excludes: [] }, 'excludes'],
      [{ snapshotMode: 'zfs' }, 'snapshotMode'],
      [{ mode: 'pull' }, 'mode'],
      [{ preScript: 'true' }, 'preScript'],
    ] as const) {
      expect(() => checkGuestJobUpdate(b)).toThrow(new RegExp(`^${path}: `));
    }
  });
});
