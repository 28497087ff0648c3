// The parts of the tar format (POSIX ustar with GNU and PAX extensions) that both tar stream
// readers share: the guest disk restore's reader (activities/shared/guest/tar-reader.ts) and
// the container restore's rebaser (activities/agent/container/tar-rebase.ts). Pure.

export const TAR_BLOCK = 512;

export class TarFormatError extends Error {
  override name = 'TarFormatError';
}

/** A NUL-terminated (or full-width) text field of a header. */
export function tarField(b: Buffer, start: number, len: number): string {
  const raw = b.subarray(start, start + len);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? len : nul).toString('utf8');
}

/** A numeric field: octal text, or base-256 (GNU, for sizes beyond 8 GiB) when the first byte's high bit is set. */
export function tarOctal(b: Buffer, start: number, len: number): number {
  if (b[start]! & 0x80) {
    let v = 0;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + b[i]!;
    return v;
  }
  const s = tarField(b, start, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarFormatError(`bad number field "${s}" in a tar header`);
  return parseInt(s, 8);
}

/** The records of a PAX extended header, `<len> <key>=<value>\n` each, in order. */
export function parsePaxRecords(data: Buffer): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let at = 0;
  while (at < data.length) {
    const sp = data.indexOf(0x20, at);
    if (sp < 0) break;
    const len = Number(data.subarray(at, sp).toString('ascii'));
    if (!Number.isSafeInteger(len) || len <= 0) throw new TarFormatError('bad PAX record length');
    const record = data.subarray(sp + 1, at + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out.push([record.slice(0, eq), record.slice(eq + 1)]);
    at += len;
  }
  return out;
}

/** Whether a header's checksum (its bytes summed, the checksum field read as spaces) holds. */
export function tarChecksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum === tarOctal(h, 148, 8);
}
