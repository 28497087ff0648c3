// Reading the tar stream an engine dumps (`restic dump --archive tar`, `borg export-tar`) as it
// arrives, so a disk image is put back together straight from the repository without a
// scratch copy of its segments. ustar headers, their 155-byte prefix, PAX extended headers
// ('x', 'g') and GNU long names ('L') name the members; other member types are skipped.
import { Writable } from 'node:stream';

const BLOCK = 512;

export interface TarMember {
  path: string;
  size: number;
  /** '0' (or NUL) a file, '5' a directory, … as tar types them. */
  type: string;
}

export interface TarHandlers {
  /** A member starts; its data (for files) follows through onData. */
  onMember(m: TarMember): void;
  /** The next `data.length` bytes of the current member, at `offset` within it. */
  onData(m: TarMember, data: Buffer, offset: number): void | Promise<void>;
}

export class TarFormatError extends Error {
  override name = 'TarFormatError';
}

const str = (b: Buffer, start: number, len: number) => {
  const raw = b.subarray(start, start + len);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? len : nul).toString('utf8');
};

function octal(b: Buffer, start: number, len: number): number {
  // Base-256 (GNU) for sizes beyond 8 GiB: the high bit of the first byte set.
  if (b[start]! & 0x80) {
    let v = 0;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + b[i]!;
    return v;
  }
  const s = str(b, start, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarFormatError(`bad number field "${s}" in a tar header`);
  return parseInt(s, 8);
}

/** The records of a PAX extended header: `<len> <key>=<value>\n`…. */
export function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    const sp = data.indexOf(0x20, at);
    if (sp < 0) break;
    const len = Number(data.subarray(at, sp).toString('ascii'));
    if (!Number.isSafeInteger(len) || len <= 0) throw new TarFormatError('bad PAX record length');
    const record = data.subarray(sp + 1, at + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    at += len;
  }
  return out;
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum === octal(h, 148, 8);
}

/** A Writable that parses a tar stream and hands each member's data to `handlers`, in order. */
export class TarReader extends Writable {
  private buf: Buffer = Buffer.alloc(0);
  private state: 'header' | 'data' | 'pad' | 'meta' | 'end' = 'header';
  private member: TarMember | null = null;
  private left = 0;
  private offset = 0;
  private padLeft = 0;
  private meta: { kind: 'x' | 'g' | 'L'; chunks: Buffer[] } | null = null;
  private pax: Record<string, string> = {};
  private longName: string | null = null;

  constructor(private readonly handlers: TarHandlers) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.drain().then(() => done(), (err: Error) => done(err));
  }

  override _final(done: (err?: Error | null) => void): void {
    // restic dump and borg export-tar end with the end-of-archive blocks: a stream without
    // them was cut short, and the image put together from it would be missing its end.
    if (this.state === 'data' || this.state === 'meta') done(new TarFormatError('the tar stream ended inside a member'));
    else if (this.state !== 'end') done(new TarFormatError('the tar stream ended before its end-of-archive marker'));
    else done();
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.state === 'end') {
        this.buf = Buffer.alloc(0);
        return;
      }
      if (this.state === 'header') {
        if (this.buf.length < BLOCK) return;
        const h = this.buf.subarray(0, BLOCK);
        this.buf = this.buf.subarray(BLOCK);
        if (h.every((b) => b === 0)) {
          this.state = 'end';
          continue;
        }
        if (!checksumOk(h)) throw new TarFormatError('a tar header failed its checksum');
        const type = String.fromCharCode(h[156]!) || '0';
        const size = this.pax.size ? Number(this.pax.size) : octal(h, 124, 12);
        this.left = size;
        this.padLeft = (BLOCK - (size % BLOCK)) % BLOCK;
        if (type === 'x' || type === 'g' || type === 'L') {
          this.meta = { kind: type, chunks: [] };
          this.state = 'meta';
          continue;
        }
        const prefix = str(h, 345, 155);
        const name = this.longName ?? this.pax.path ?? (prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100));
        this.member = { path: name, size, type: type === '\0' ? '0' : type };
        this.pax = {};
        this.longName = null;
        this.offset = 0;
        this.handlers.onMember(this.member);
        this.state = size > 0 ? 'data' : 'header';
        if (size === 0) this.state = this.padLeft > 0 ? 'pad' : 'header';
        continue;
      }
      if (this.state === 'meta') {
        const take = Math.min(this.left, this.buf.length);
        if (take === 0 && this.left > 0) return;
        this.meta!.chunks.push(this.buf.subarray(0, take));
        this.buf = this.buf.subarray(take);
        this.left -= take;
        if (this.left > 0) return;
        const data = Buffer.concat(this.meta!.chunks);
        if (this.meta!.kind === 'x') this.pax = parsePax(data);
        else if (this.meta!.kind === 'L') this.longName = str(data, 0, data.length);
        this.meta = null;
        this.state = this.padLeft > 0 ? 'pad' : 'header';
        continue;
      }
      if (this.state === 'data') {
        const take = Math.min(this.left, this.buf.length);
        if (take === 0) return;
        const piece = this.buf.subarray(0, take);
        this.buf = this.buf.subarray(take);
        await this.handlers.onData(this.member!, piece, this.offset);
        this.offset += take;
        this.left -= take;
        if (this.left > 0) return;
        this.state = this.padLeft > 0 ? 'pad' : 'header';
        continue;
      }
      // pad
      const take = Math.min(this.padLeft, this.buf.length);
      if (take === 0) return;
      this.buf = this.buf.subarray(take);
      this.padLeft -= take;
      if (this.padLeft === 0) this.state = 'header';
    }
  }
}
