// A client of QEMU's machine protocol (QMP) over its UNIX socket: the one way Backstop asks a
// running QEMU or qemu-storage-daemon for dirty bitmaps, point-in-time views and NBD exports.
// One command at a time (QMP answers in order); events are kept for whoever waits on them.
import { createConnection, type Socket } from 'node:net';

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
}

/** QEMU refused a command: `errorClass` as QEMU names it (GenericError, DeviceNotFound, …). */
export class QmpError extends Error {
  override name = 'QmpError';
  constructor(
    readonly command: string,
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(`QMP ${command}: ${desc}`);
  }
}

/** The QMP socket could not be reached or went away. */
export class QmpConnectionError extends Error {
  override name = 'QmpConnectionError';
}

/** What callers of QMP need: a fake implements it in unit tests. */
export interface Qmp {
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T>;
  /** Resolves with the first event (seen since `since`, or later) that `match` accepts. */
  waitForEvent(match: (e: QmpEvent) => boolean, timeoutMs: number, since?: number): Promise<QmpEvent>;
  /** A mark for waitForEvent: events after it count. */
  eventMark(): number;
  close(): void;
}

interface Pending {
  command: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class QmpClient implements Qmp {
  private buffer = '';
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly events: QmpEvent[] = [];
  private readonly waiters = new Set<() => void>();
  private closed: Error | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly commandTimeoutMs: number,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    const fail = (err: Error) => {
      if (this.closed) return;
      this.closed = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      for (const w of this.waiters) w();
    };
    socket.on('error', (err) => fail(new QmpConnectionError(`QMP socket: ${err.message}`)));
    socket.on('close', () => fail(new QmpConnectionError('QMP socket closed')));
  }

  /** Connects, reads the greeting and leaves capabilities negotiation mode. */
  static async connect(path: string, opts: { timeoutMs?: number } = {}): Promise<QmpClient> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const socket = createConnection(path);
    const client = new QmpClient(socket, timeoutMs);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new QmpConnectionError(`no QMP greeting on ${path} within ${timeoutMs} ms`)), timeoutMs);
      client.onGreeting = () => {
        clearTimeout(timer);
        resolve();
      };
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new QmpConnectionError(`cannot reach QMP at ${path}: ${err.message}`));
      });
    });
    await client.execute('qmp_capabilities');
    return client;
  }

  private onGreeting: (() => void) | null = null;

  private onData(chunk: string): void {
    this.buffer += chunk;
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) this.onMessage(line);
    }
  }

  private onMessage(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if ('QMP' in msg) {
      this.onGreeting?.();
      this.onGreeting = null;
      return;
    }
    if (typeof msg.event === 'string') {
      this.events.push({ event: msg.event, data: msg.data as Record<string, unknown> | undefined });
      for (const w of this.waiters) w();
      return;
    }
    const id = typeof msg.id === 'number' ? msg.id : -1;
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    const error = msg.error as { class?: string; desc?: string } | undefined;
    if (error) p.reject(new QmpError(p.command, error.class ?? 'GenericError', error.desc ?? 'failed'));
    else p.resolve(msg.return);
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new QmpConnectionError(`QMP ${command}: no answer within ${this.commandTimeoutMs} ms`));
      }, this.commandTimeoutMs);
      this.pending.set(id, {
        command,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.socket.write(`${JSON.stringify(args ? { execute: command, arguments: args, id } : { execute: command, id })}\n`);
    });
  }

  eventMark(): number {
    return this.events.length;
  }

  waitForEvent(match: (e: QmpEvent) => boolean, timeoutMs: number, since = 0): Promise<QmpEvent> {
    return new Promise((resolve, reject) => {
      let seen = since;
      const check = () => {
        for (; seen < this.events.length; seen++) {
          const e = this.events[seen]!;
          if (match(e)) return done(() => resolve(e));
        }
        if (this.closed) done(() => reject(this.closed!));
      };
      const timer = setTimeout(() => done(() => reject(new QmpConnectionError(`QMP: the awaited event did not come within ${timeoutMs} ms`))), timeoutMs);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }
}
