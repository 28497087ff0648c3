// A container's root filesystem as a tar that a container tool takes (`pct restore`,
// `lxc-create -t local`, `tar -xpf --numeric-owner -C rootfs`): its members named relative to
// the root filesystem (`./`, `./bin/sh`), not by the full path the engine stored them under
// (`restic dump --archive tar` names them `srv/c1/rootfs/bin/sh`). A Transform between the
// engine's tar stream and the file: each member's header is rewritten as it passes, its data
// passes untouched, so nothing is staged on disk.
//
// Each kept member goes out as a PAX extended header carrying its new `path` (and, for a hard
// link, `linkpath`) beside the engine's other records (extended attributes, times), then its
// ustar header with the name fields rewritten. User and group names are dropped, the numeric
// ids kept: the names are the container's (its own /etc/passwd), so an extractor that maps
// names on the host would give files to the wrong owners. Members outside the root
// filesystem (none with restic, which dumps the path asked for) are left out.
//
// restic's dump holds only files, directories and symlinks: a root filesystem's device nodes
// and fifos are not in it. The caller restores those few (empty) nodes from the snapshot
// aside, and hands their headers (specialMember) to `trailer`, written before the end.
import { Transform, type TransformCallback } from 'node:stream';
import { TAR_BLOCK as BLOCK, parsePaxRecords, tarChecksumOk as checksumOk, tarField as field, tarOctal as octal } from '../../shared/tar-format';

export class TarRebaseError extends Error {
  override name = 'TarRebaseError';
}

/** One PAX record, `<len> <key>=<value>\n`, its length counting its own digits. */
export function paxRecord(key: string, value: string): Buffer {
  const body = Buffer.byteLength(` ${key}=${value}\n`);
  let len = body + String(body).length;
  if (String(len).length !== String(len - body).length) len = body + String(len).length;
  return Buffer.from(`${len} ${key}=${value}\n`, 'utf8');
}

function setChecksum(h: Buffer): void {
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i]!;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
}

const writeName = (h: Buffer, start: number, len: number, value: string) => {
  h.fill(0, start, start + len);
  // Cut at a byte boundary that leaves valid UTF-8 is not needed: the PAX record carries the real name.
  Buffer.from(value, 'utf8').copy(h, start, 0, len);
};

const pad = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;

/** The PAX extended header ('x') block(s) for `records`. */
function paxHeader(records: Buffer, name: string): Buffer {
  const h = Buffer.alloc(BLOCK);
  writeName(h, 0, 100, `PaxHeaders/${name.replace(/\/$/, '').split('/').pop() || 'root'}`);
  h.write('0000644\0', 100, 8, 'ascii');
  h.write('0000000\0', 108, 8, 'ascii');
  h.write('0000000\0', 116, 8, 'ascii');
  h.write(`${records.length.toString(8).padStart(11, '0')}\0`, 124, 12, 'ascii');
  h.write('00000000000\0', 136, 12, 'ascii');
  h.write('x', 156, 1, 'ascii');
  h.write('ustar\x0000', 257, 8, 'ascii');
  setChecksum(h);
  return Buffer.concat([h, records, Buffer.alloc(pad(records.length))]);
}

export interface SpecialNode {
  /** Relative to the root filesystem, `dev/null`. */
  path: string;
  type: 'chardev' | 'blockdev' | 'fifo';
  /** Permission bits with setuid/setgid/sticky. */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** stat's st_rdev for a device; 0 for a fifo. */
  rdev: number;
}

const octalField = (h: Buffer, start: number, len: number, v: number) => h.write(`${Math.max(0, Math.trunc(v)).toString(8).padStart(len - 1, '0')}\0`, start, len, 'ascii');

/** A device node or fifo as a tar member (no data), named `./<path>` with numeric owners only. */
export function specialMember(n: SpecialNode): Buffer {
  const name = `./${n.path.replace(/^\/+/, '')}`;
  // Linux's dev_t: major in bits 8-19 and 32-43, minor in bits 0-7 and 20-31.
  const rdev = BigInt(n.rdev);
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  const h = Buffer.alloc(BLOCK);
  writeName(h, 0, 100, name);
  octalField(h, 100, 8, n.mode & 0o7777);
  octalField(h, 108, 8, n.uid);
  octalField(h, 116, 8, n.gid);
  octalField(h, 124, 12, 0);
  octalField(h, 136, 12, n.mtime);
  h.write(n.type === 'chardev' ? '3' : n.type === 'blockdev' ? '4' : '6', 156, 1, 'ascii');
  h.write('ustar\x0000', 257, 8, 'latin1');
  octalField(h, 329, 8, n.type === 'fifo' ? 0 : major);
  octalField(h, 337, 8, n.type === 'fifo' ? 0 : minor);
  setChecksum(h);
  return Buffer.concat([paxHeader(paxRecord('path', name), name), h]);
}

/**
 * The member name a path of the dump gets under `root` (`srv/c1/rootfs`, no slashes around):
 * `./` for the root itself, `./<rest>` below it, null outside it.
 */
export function rebasedName(name: string, root: string): string | null {
  const rel = name.replace(/^(\.\/)+/, '').replace(/^\/+/, '');
  const dirSlash = rel.endsWith('/') ? '/' : '';
  const bare = rel.replace(/\/+$/, '');
  if (bare === root) return './';
  if (bare.startsWith(`${root}/`)) return `./${bare.slice(root.length + 1)}${dirSlash}`;
  return null;
}

export class TarRebase extends Transform {
  private buf: Buffer = Buffer.alloc(0);
  private state: 'header' | 'meta' | 'data' | 'end' = 'header';
  /** Bytes of the current meta or member data still to come, then its padding. */
  private left = 0;
  private padLeft = 0;
  private keep = true;
  private metaKind: 'x' | 'L' | 'K' = 'x';
  private pax: Array<[string, string]> = [];
  private longName: string | null = null;
  private longLink: string | null = null;
  private readonly root: string;
  /** Members written and left out, and bytes written, for the run's log and progress. */
  members = 0;
  skipped = 0;
  bytes = 0;
  /** Called with `bytes` each time more is written. */
  onWritten: ((bytes: number) => void) | null = null;
  /** Members written after the dump's own, before the end of the archive (specialMember). */
  trailer: Buffer[] = [];

  private out(b: Buffer): void {
    this.bytes += b.length;
    this.onWritten?.(this.bytes);
    this.push(b);
  }

  /** `rootPath`: the absolute path the engine stored the root filesystem under. */
  constructor(rootPath: string) {
    super();
    this.root = rootPath.replace(/^\/+|\/+$/g, '');
    if (this.root === '') throw new TarRebaseError('the root filesystem cannot be / itself');
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    try {
      this.drain();
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (this.state !== 'end') return done(new TarRebaseError(this.state === 'header' ? 'the tar stream ended before its end-of-archive marker' : 'the tar stream ended inside a member'));
    for (const t of this.trailer) {
      this.members += 1;
      this.out(t);
    }
    this.out(Buffer.alloc(2 * BLOCK));
    done();
  }

  private drain(): void {
    for (;;) {
      if (this.state === 'end') {
        this.buf = Buffer.alloc(0);
        return;
      }
      if (this.state === 'header') {
        if (this.buf.length < BLOCK) return;
        const h = Buffer.from(this.buf.subarray(0, BLOCK));
        this.buf = this.buf.subarray(BLOCK);
        if (h.every((b) => b === 0)) {
          this.state = 'end';
          continue;
        }
        if (!checksumOk(h)) throw new TarRebaseError('a tar header failed its checksum');
        const type = String.fromCharCode(h[156]!);
        const paxSize = this.pax.find(([k]) => k === 'size')?.[1];
        const size = type !== 'x' && type !== 'L' && type !== 'K' && paxSize !== undefined ? Number(paxSize) : octal(h, 124, 12);
        this.padLeft = pad(size);
        this.left = size;
        if (type === 'x' || type === 'L' || type === 'K') {
          this.metaKind = type;
          this.state = 'meta';
          continue;
        }
        if (type === 'g') {
          // Global records apply to the whole archive: passed on as they are.
          this.keep = true;
          this.out(h);
          this.state = 'data';
          continue;
        }
        this.member(h, type, size);
        continue;
      }
      if (this.state === 'meta') {
        const want = this.left + this.padLeft;
        if (this.buf.length < want) return;
        const data = this.buf.subarray(0, this.left);
        this.buf = this.buf.subarray(want);
        if (this.metaKind === 'x') this.pax = parsePaxRecords(data);
        else if (this.metaKind === 'L') this.longName = field(data, 0, data.length);
        else this.longLink = field(data, 0, data.length);
        this.state = 'header';
        continue;
      }
      // data, then its padding: passed through or dropped with the member.
      const take = Math.min(this.left + this.padLeft, this.buf.length);
      if (take === 0 && this.left + this.padLeft > 0) return;
      if (this.keep && take > 0) this.out(this.buf.subarray(0, take));
      this.buf = this.buf.subarray(take);
      const fromData = Math.min(take, this.left);
      this.left -= fromData;
      this.padLeft -= take - fromData;
      if (this.left === 0 && this.padLeft === 0) this.state = 'header';
    }
  }

  private member(h: Buffer, type: string, size: number): void {
    const pax = new Map(this.pax);
    const prefix = h.subarray(257, 263).toString('latin1') === 'ustar\0' ? field(h, 345, 155) : '';
    const name = this.longName ?? pax.get('path') ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    const hardLink = type === '1';
    const link = this.longLink ?? pax.get('linkpath') ?? field(h, 157, 100);
    this.pax = [];
    this.longName = null;
    this.longLink = null;
    const rebased = rebasedName(name, this.root);
    const rebasedLink = hardLink ? rebasedName(link, this.root) : link;
    this.state = 'data';
    if (rebased === null || rebasedLink === null) {
      this.keep = false;
      this.skipped += 1;
      return;
    }
    this.keep = true;
    this.members += 1;
    pax.delete('path');
    pax.delete('uname');
    pax.delete('gname');
    pax.delete('linkpath');
    if (size > 0o77777777777) pax.set('size', String(size));
    const records = [...pax].map(([k, v]) => paxRecord(k, v));
    records.push(paxRecord('path', rebased));
    if (hardLink || Buffer.byteLength(link) > 100) records.push(paxRecord('linkpath', rebasedLink));
    this.out(paxHeader(Buffer.concat(records), rebased));
    // GNU headers keep times where ustar keeps the prefix: the header becomes plain ustar.
    h.write('ustar\x0000', 257, 8, 'latin1');
    h.fill(0, 345, 500);
    writeName(h, 0, 100, rebased);
    writeName(h, 157, 100, rebasedLink);
    h.fill(0, 265, 329);
    // A size beyond the octal field travels in the PAX record (set above); the field says 0 then.
    if (size > 0o77777777777) h.write('00000000000\0', 124, 12, 'ascii');
    setChecksum(h);
    this.out(h);
  }
}
