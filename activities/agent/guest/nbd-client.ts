// A minimal NBD client (fixed newstyle handshake, NBD_OPT_GO, simple replies): it reads the
// byte ranges a backup needs from QEMU's export of a point-in-time view of a disk. Reading in
// process lets the backup count exactly the bytes it read from the disk, heartbeat while it
// reads and stop between two requests when cancelled.
import { createConnection, type Socket } from 'node:net';

const NBDMAGIC = Buffer.from('NBDMAGIC');
const IHAVEOPT = Buffer.from('IHAVEOPT');
const OPT_REPLY_MAGIC = 0x3e889045565a9n;
const REQUEST_MAGIC = 0x25609513;
const SIMPLE_REPLY_MAGIC = 0x67446698;
const FLAG_FIXED_NEWSTYLE = 1;
const FLAG_NO_ZEROES = 2;
const OPT_GO = 7;
const REP_ACK = 1;
const REP_INFO = 3;
const INFO_EXPORT = 0;
const CMD_READ = 0;
const CMD_DISC = 2;
/** QEMU's servers accept reads of up to 32 MiB; stay well inside. */
export const MAX_READ_BYTES = 4 * 1024 * 1024;

export class NbdError extends Error {
  override name = 'NbdError';
}

/** An NBD export address: a UNIX socket (QEMU's exports here) and the export's name. */
export interface NbdAddress {
  socketPath: string;
  exportName: string;
}

export class NbdReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private wake: (() => void) | null = null;
  private failure: Error | null = null;
  private handle = 1n;
  /** Bytes read from the export so far: what the backup took from the disk. */
  bytesRead = 0;

  private constructor(
    private readonly socket: Socket,
    readonly size: number,
  ) {}

  static async open(address: NbdAddress, opts: { timeoutMs?: number } = {}): Promise<NbdReader> {
    const socket = createConnection(address.socketPath);
    const reader = new NbdReader(socket, 0);
    socket.on('data', (b: Buffer) => {
      reader.chunks.push(b);
      reader.buffered += b.length;
      reader.wake?.();
    });
    const fail = (err: Error) => {
      reader.failure ??= err;
      reader.wake?.();
    };
    socket.on('error', (err) => fail(new NbdError(`NBD ${address.socketPath}: ${err.message}`)));
    socket.on('close', () => fail(new NbdError(`NBD ${address.socketPath}: connection closed`)));
    const timer = setTimeout(() => fail(new NbdError(`NBD ${address.socketPath}: no handshake within ${opts.timeoutMs ?? 30_000} ms`)), opts.timeoutMs ?? 30_000);
    try {
      const size = await reader.handshake(address.exportName);
      return Object.assign(reader, { size }) as NbdReader;
    } catch (err) {
      socket.destroy();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private async take(n: number): Promise<Buffer> {
    while (this.buffered < n) {
      if (this.failure) throw this.failure;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }

  private async handshake(exportName: string): Promise<number> {
    const hello = await this.take(18);
    if (!hello.subarray(0, 8).equals(NBDMAGIC) || !hello.subarray(8, 16).equals(IHAVEOPT)) throw new NbdError('not an NBD server (or not fixed newstyle)');
    const serverFlags = hello.readUInt16BE(16);
    if ((serverFlags & FLAG_FIXED_NEWSTYLE) === 0) throw new NbdError('the NBD server does not speak fixed newstyle');
    const clientFlags = Buffer.alloc(4);
    clientFlags.writeUInt32BE(FLAG_FIXED_NEWSTYLE | (serverFlags & FLAG_NO_ZEROES));
    const name = Buffer.from(exportName);
    const opt = Buffer.alloc(16 + 4 + name.length + 2);
    IHAVEOPT.copy(opt, 0);
    opt.writeUInt32BE(OPT_GO, 8);
    opt.writeUInt32BE(4 + name.length + 2, 12);
    opt.writeUInt32BE(name.length, 16);
    name.copy(opt, 20);
    opt.writeUInt16BE(0, 20 + name.length);
    this.socket.write(Buffer.concat([clientFlags, opt]));
    let size = -1;
    for (;;) {
      const head = await this.take(20);
      if (head.readBigUInt64BE(0) !== OPT_REPLY_MAGIC) throw new NbdError('bad NBD option reply');
      const type = head.readUInt32BE(12);
      const data = await this.take(head.readUInt32BE(16));
      if (type & 0x80000000) throw new NbdError(`the NBD server refused export "${exportName}"${data.length > 0 ? `: ${data.toString('utf8')}` : ''}`);
      if (type === REP_INFO && data.readUInt16BE(0) === INFO_EXPORT) size = Number(data.readBigUInt64BE(2));
      if (type === REP_ACK) break;
    }
    if (size < 0) throw new NbdError('the NBD server did not say the export size');
    return size;
  }

  /** `length` bytes at `offset` (at most MAX_READ_BYTES). */
  async read(offset: number, length: number): Promise<Buffer> {
    if (length <= 0 || length > MAX_READ_BYTES || offset < 0 || offset + length > this.size) throw new NbdError(`NBD read ${offset}+${length} outside the ${this.size}-byte export`);
    const req = Buffer.alloc(28);
    req.writeUInt32BE(REQUEST_MAGIC, 0);
    req.writeUInt16BE(0, 4);
    req.writeUInt16BE(CMD_READ, 6);
    const handle = this.handle++;
    req.writeBigUInt64BE(handle, 8);
    req.writeBigUInt64BE(BigInt(offset), 16);
    req.writeUInt32BE(length, 24);
    this.socket.write(req);
    const reply = await this.take(16);
    if (reply.readUInt32BE(0) !== SIMPLE_REPLY_MAGIC || reply.readBigUInt64BE(8) !== handle) throw new NbdError('bad NBD reply');
    const error = reply.readUInt32BE(4);
    if (error !== 0) throw new NbdError(`NBD read at ${offset} failed with error ${error}`);
    const data = await this.take(length);
    this.bytesRead += length;
    return data;
  }

  /** Says goodbye (NBD_CMD_DISC) and closes. */
  close(): void {
    if (!this.failure) {
      const req = Buffer.alloc(28);
      req.writeUInt32BE(REQUEST_MAGIC, 0);
      req.writeUInt16BE(CMD_DISC, 6);
      this.socket.write(req);
    }
    this.socket.end();
    this.socket.destroy();
  }
}
