// The fleecing overlays a guest view writes the guest's old data into: empty qcow2 images of
// the disk's size, made with qemu-img. The command line is data (pure); running it is one call.
import { runProcess } from '../../shared/process';

/** `qemu-img create -q -f qcow2 <file> <size>`. */
export function qemuImgCreateArgs(file: string, size: number): string[] {
  return ['create', '-q', '-f', 'qcow2', file, String(size)];
}

export class QemuImgError extends Error {
  override name = 'QemuImgError';
}

/** Creates an empty qcow2 image of `size` bytes at `file`. */
export async function createQcow2(file: string, size: number, binary = 'qemu-img'): Promise<void> {
  const r = await runProcess(binary, qemuImgCreateArgs(file, size));
  if (r.exitCode !== 0) throw new QemuImgError(`qemu-img create ${file} failed (exit ${r.exitCode ?? r.signal}): ${r.stderrTail.trim()}`);
}
