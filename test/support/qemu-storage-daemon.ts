// A guest's disk as QEMU serves it, for the guest backup tests: qemu-storage-daemon (Debian's
// qemu-system-common) with a qcow2 image as block node `disk0`, its QMP monitor on a UNIX
// socket, and the "guest" — a writable FUSE export of the node, so the test writes into the
// disk through QEMU (as a running VM does, through the same copy-before-write filter a
// backup's view inserts) with plain file writes at known offsets.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, openSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { killChild, stopChild } from './child-process';
import { waitFor } from './wait';
import { QmpClient } from '../../activities/agent/guest/qmp-client';

export interface GuestDisk {
  dir: string;
  image: string;
  qmpSocket: string;
  /** The guest's view of the disk: write here to change the disk. */
  guestFile: string;
  node: 'disk0';
  size: number;
  proc: ChildProcess;
  write(offset: number, data: Buffer): void;
  read(offset: number, length: number): Buffer;
  /** Clean stop (persistent bitmaps written to the image). */
  stop(): Promise<void>;
  /** kill -9, as a host crash: the image's bitmaps are left marked in use. */
  kill(): Promise<void>;
  /** Starts the daemon again on the same image. */
  start(): Promise<void>;
  /**
   * Limits reads of the image to `bytesPerSecond` (0: no limit) through the throttle filter
   * under `disk0` (started with `throttle: true`): a backup's reads then take long enough to
   * act in the middle of them. Speaks QMP: only while no one else holds the monitor.
   */
  throttleReads(bytesPerSecond: number): Promise<void>;
}

/**
 * `from`: a raw image whose content the disk starts with (converted to qcow2). `throttle`: a
 * throttle filter (unlimited until throttleReads) between the qcow2 node and its file.
 */
export async function startGuestDisk(dir: string, size: number, opts: { from?: string; throttle?: boolean } = {}): Promise<GuestDisk> {
  const image = join(dir, 'disk.qcow2');
  const qmpSocket = join(dir, 'qmp.sock');
  const guestFile = join(dir, 'guest-disk');
  const args = opts.from ? ['convert', '-q', '-f', 'raw', '-O', 'qcow2', opts.from, image] : ['create', '-q', '-f', 'qcow2', image, String(size)];
  const created = spawnSync('qemu-img', args, { encoding: 'utf8' });
  if (created.status !== 0) throw new Error(`qemu-img ${args[0]}: ${created.stderr}`);
  writeFileSync(guestFile, '');
  const disk: GuestDisk = {
    dir,
    image,
    qmpSocket,
    guestFile,
    node: 'disk0',
    size,
    proc: undefined as unknown as ChildProcess,
    write(offset, data) {
      const fd = openSync(guestFile, 'r+');
      try {
        writeSync(fd, data, 0, data.length, offset);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    },
    read(offset, length) {
      const fd = openSync(guestFile, 'r');
      try {
        const b = Buffer.alloc(length);
        readSync(fd, b, 0, length, offset);
        return b;
      } finally {
        closeSync(fd);
      }
    },
    async stop() {
      await stopChild(disk.proc, 10_000);
    },
    async kill() {
      await killChild(disk.proc);
      // The FUSE mount of a killed daemon stays behind, dead: unmount it.
      spawnSync('fusermount3', ['-u', '-z', guestFile]);
    },
    async throttleReads(bytesPerSecond) {
      if (!opts.throttle) throw new Error('the disk was started without a throttle filter');
      const qmp = await QmpClient.connect(qmpSocket);
      try {
        await qmp.execute('qom-set', { path: 'tg0', property: 'limits', value: { 'bps-read': bytesPerSecond } });
      } finally {
        qmp.close();
      }
    },
    async start() {
      const log = createWriteStream(join(dir, 'qsd.log'), { flags: 'a' });
      const layers = opts.throttle
        ? ['--object', 'throttle-group,id=tg0', '--blockdev', `driver=file,filename=${image},node-name=file0`, '--blockdev', 'driver=throttle,throttle-group=tg0,file=file0,node-name=thr0', '--blockdev', 'driver=qcow2,file=thr0,node-name=disk0']
        : ['--blockdev', `driver=file,filename=${image},node-name=file0`, '--blockdev', 'driver=qcow2,file=file0,node-name=disk0'];
      disk.proc = spawn(
        'qemu-storage-daemon',
        [
          ...layers,
          '--export', `type=fuse,id=guest,node-name=disk0,mountpoint=${guestFile},writable=on`,
          '--chardev', `socket,path=${qmpSocket},server=on,wait=off,id=qmp0`,
          '--monitor', 'chardev=qmp0',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      disk.proc.stdout!.pipe(log);
      disk.proc.stderr!.pipe(log);
      await waitFor('qemu-storage-daemon to serve QMP and the guest export', async () => {
        if (disk.proc.exitCode !== null) throw new Error(`qemu-storage-daemon exited ${disk.proc.exitCode}; see ${join(dir, 'qsd.log')}`);
        return existsSync(qmpSocket) && isFuseMounted(guestFile);
      }, 30_000, 50);
    },
  };
  await disk.start();
  return disk;
}

function isFuseMounted(path: string): boolean {
  const r = spawnSync('findmnt', ['-n', '-o', 'FSTYPE', '--target', path], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('fuse');
}
