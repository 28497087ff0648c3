// How many bytes a process has read so far, from /proc/<pid>/io: progress a process makes
// without printing it (restic uploading packs after its counters reached 100%).
import { readFileSync } from 'node:fs';

/** `rchar` of a /proc/<pid>/io text: bytes passed through read() and friends. */
export function parseReadChars(procIo: string): number | null {
  const m = /^rchar:\s*(\d+)$/m.exec(procIo);
  return m ? Number(m[1]) : null;
}

/** Null when the process is gone or its counters cannot be read. */
export function bytesReadBy(pid: number): number | null {
  try {
    return parseReadChars(readFileSync(`/proc/${pid}/io`, 'utf8'));
  } catch {
    return null;
  }
}
