import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkGuestTarget } from './guest-restore-target';

let dir: string;
let root: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'guest-target-'));
  root = join(dir, 'restores');
  mkdirSync(join(root, 'full'), { recursive: true });
  writeFileSync(join(root, 'full', 'x'), 'x');
  writeFileSync(join(root, 'old.raw'), '');
  symlinkSync('/etc', join(root, 'escape'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('checkGuestTarget', () => {
  it('takes a new image file and a new or empty directory under the roots', async () => {
    await expect(checkGuestTarget({ target: join(root, 'vm.raw'), disk: 'scsi0', roots: [root] })).resolves.toEqual({ target: join(root, 'vm.raw'), kind: 'image-file' });
    await expect(checkGuestTarget({ target: join(root, 'vm-100'), disk: null, roots: [root] })).resolves.toEqual({ target: join(root, 'vm-100'), kind: 'directory' });
  });

  it('takes a block device anywhere for one disk (writing it over waits for approval), nothing else outside the roots', async () => {
    // Any block device of this machine: only stat()ed here, never opened.
    const device = readdirSync('/dev').map((n) => `/dev/${n}`).find((p) => statSync(p, { throwIfNoEntry: false })?.isBlockDevice());
    if (device) {
      await expect(checkGuestTarget({ target: device, disk: 'scsi0', roots: [root] })).resolves.toEqual({ target: device, kind: 'block-device' });
      await expect(checkGuestTarget({ target: device, disk: null, roots: [root] })).rejects.toThrow(/outside/);
    }
    await expect(checkGuestTarget({ target: '/dev/loop-control', disk: 'scsi0', roots: [root] })).rejects.toThrow(/outside/);
  });

  it('refuses an existing file, a non-empty directory, and anything outside the roots — unless the run itself began writing it', async () => {
    await expect(checkGuestTarget({ target: join(root, 'old.raw'), disk: 'scsi0', roots: [root] })).rejects.toThrow(/exists/);
    await expect(checkGuestTarget({ target: join(root, 'old.raw'), disk: 'scsi0', roots: [root], resumed: true })).resolves.toMatchObject({ kind: 'image-file' });
    await expect(checkGuestTarget({ target: join(root, 'full'), disk: null, roots: [root] })).rejects.toThrow(/not empty/);
    await expect(checkGuestTarget({ target: join(root, 'full'), disk: null, roots: [root], resumed: true })).resolves.toMatchObject({ kind: 'directory' });
    await expect(checkGuestTarget({ target: join(root, 'escape', 'vm.raw'), disk: 'scsi0', roots: [root] })).rejects.toThrow(/resolves to \/etc\/vm.raw/);
    await expect(checkGuestTarget({ target: join(dir, 'vm.raw'), disk: 'scsi0', roots: [root] })).rejects.toThrow(/outside/);
  });
});
