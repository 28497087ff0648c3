// Reading the tar stream an engine dumps (`restic dump --archive tar`, `borg export-tar`) as it
// arrives, so a disk image is put back together straight from the repository without a
// scratch copy of its segments. ustar headers, their 155-byte prefix, PAX extended headers
// ('x', 'g') and GNU long names ('L') name the members; other member types are skipped.
import { Writable } from 'node:stream';
import { TAR_BLOCK as BLOCK, TarFormatError, parsePaxRecords, tarChecksumOk as checksumOk, tarField as str, tarOctal as octal } from '../tar-format';

export { TarFormatError } from '../tar-format';

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

/** The PAX records of an extended header, by key (a later record for a key wins). */
export function parsePax(data: Buffer): Record<string, string> {
  return Object.fromEntries(parsePaxRecords(data));
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
