// One pull export per run: a TCP port on the agent that only the server worker can use.
//
// The server worker dials; the TLS roles are then turned round — the agent is the TLS
// *client* with its own certificate (an agent certificate is issued for client auth only),
// the server worker the TLS server with its server-worker certificate — and each side
// checks the other against the internal CA: the agent accepts only a certificate naming
// SERVER_WORKER_IDENTITY, the server worker only one naming the run's agent. Over that
// channel OpenSSH's sftp-server (export-commands.ts) speaks SFTP to sshfs on the server.
//
// The export lives in this process: it ends with stopExport, with the agent process, or
// when its run is found ended (a terminated workflow runs no cleanup). Each connection's
// sftp-server is recorded, so one left by a killed agent is stopped at the next start.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../../../core/logger';
import { SERVER_WORKER_IDENTITY, type ExportEndpoint, type ImportMode, type ImportStatus } from '../../../contract/pull';
import { commandLineHas } from '../../shared/engines/orphans';
import { exportPlan, runtimePath, type AncestorMeta, type ExportEntry, type SftpRuntime } from './export-commands';
import { IMPORT_HEADER_MAX, importTarCommand, parseImportHeader } from './import-commands';

/** How much of tar's messages an import's answer carries. */
const IMPORT_OUTPUT_MAX = 4_000;

const run = promisify(execFile);

export interface TlsIdentity {
  keyPem: string;
  certPem: string;
  caPem: string;
}

export interface ExportServerOptions {
  stateDir: string;
  /** The agent's key and certificate, read when a connection comes (renewals replace them). */
  identity: () => Promise<TlsIdentity>;
  /** Where to listen (BACKSTOP_EXPORT_LISTEN) and the address the server worker is told (BACKSTOP_EXPORT_ADDRESS). */
  listenHost: string;
  advertiseHost: string;
  runtime: SftpRuntime;
  /** Whether the run's workflow still runs; an export whose run ended is closed. */
  isRunActive: (workflowId: string) => Promise<boolean>;
  logger: Logger;
  /** How often open exports are checked against their runs. */
  watchEveryMs?: number;
}

interface OpenExport {
  endpoint: ExportEndpoint;
  workflowId: string;
  server: Server;
  children: Set<ChildProcess>;
  sockets: Set<Socket>;
}

const PASSWD = 'root:x:0:0:root:/:/usr/sbin/nologin\n';

export class ExportServer {
  private readonly open = new Map<string, OpenExport>();
  private readonly dir: string;
  private watch: NodeJS.Timeout | undefined;

  constructor(private readonly opts: ExportServerOptions) {
    this.dir = join(opts.stateDir, 'exports');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileSync(this.passwdFile(), PASSWD, { mode: 0o644 });
  }

  private passwdFile(): string {
    return join(this.dir, 'passwd');
  }

  private runDir(runId: string): string {
    return join(this.dir, runId);
  }

  private pidsFile(runId: string): string {
    return join(this.runDir(runId), 'pids');
  }

  /**
   * At agent start: stops the sftp-servers a killed agent left (their connection is gone
   * with it, but a server stuck in a read would linger) and removes what their runs left.
   */
  sweep(): number {
    let stopped = 0;
    for (const name of readdirSync(this.dir, { withFileTypes: true })) {
      if (!name.isDirectory()) continue;
      let pids: number[] = [];
      try {
        pids = readFileSync(this.pidsFile(name.name), 'utf8').split('\n').filter(Boolean).map(Number);
      } catch {
        /* none recorded */
      }
      // An export's sftp-server runs as <RUNTIME_DIR>/sftp-server (a PID may have been reused).
      const marker = runtimePath(this.opts.runtime.server);
      for (const pid of pids) {
        if (!Number.isInteger(pid) || pid <= 1 || !commandLineHas(pid, marker)) continue;
        try {
          process.kill(pid, 'SIGKILL');
          stopped++;
        } catch {
          /* gone meanwhile */
        }
      }
      rmSync(this.runDir(name.name), { recursive: true, force: true });
    }
    if (stopped > 0) this.opts.logger.warn({ stopped }, 'stopped export servers left by an earlier agent process');
    return stopped;
  }

  /** Opens the run's export, or returns it if it is open. */
  async start(runId: string, workflowId: string, entries: ExportEntry[], ancestors: AncestorMeta[]): Promise<ExportEndpoint> {
    const existing = this.open.get(runId);
    if (existing) return existing.endpoint;
    const root = join(this.runDir(runId), 'root');
    mkdirSync(root, { recursive: true, mode: 0o700 });
    const plan = exportPlan(root, entries, ancestors, this.opts.runtime, this.passwdFile());
    return this.listen(runId, workflowId, { paths: entries.map((e) => e.path) }, (tls, children, log) => this.pipeToSftpServer(runId, tls, plan, children, log));
  }

  /**
   * Opens the run's restore import (import-commands.ts): each connection streams a tar
   * archive that GNU tar writes into (or compares with) `target`. Or returns it if it is open.
   */
  async startImport(runId: string, workflowId: string, target: string): Promise<ExportEndpoint> {
    const existing = this.open.get(runId);
    if (existing) return existing.endpoint;
    mkdirSync(this.runDir(runId), { recursive: true, mode: 0o700 });
    return this.listen(runId, workflowId, { target }, (tls, children, log) => this.pipeToTar(runId, tls, target, children, log));
  }

  private async listen(runId: string, workflowId: string, what: Record<string, unknown>, onSecure: (tls: TLSSocket, children: Set<ChildProcess>, log: Logger) => void): Promise<ExportEndpoint> {
    const children = new Set<ChildProcess>();
    const sockets = new Set<Socket>();
    const server = createServer((socket) => this.serve(socket, sockets, (tls, log) => onSecure(tls, children, log), runId));
    server.on('error', (err) => this.opts.logger.error({ err, runId }, 'export listener failed'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, this.opts.listenHost, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const endpoint: ExportEndpoint = { runId, host: this.opts.advertiseHost, port };
    this.open.set(runId, { endpoint, workflowId, server, children, sockets });
    this.startWatch();
    this.opts.logger.info({ runId, port, ...what }, 'export open');
    return endpoint;
  }

  /** Closes the export: no new connection, every sftp-server stopped, its directory gone. */
  async stop(runId: string): Promise<void> {
    const e = this.open.get(runId);
    this.open.delete(runId);
    if (e) {
      await new Promise<void>((resolve) => e.server.close(() => resolve()));
      for (const s of e.sockets) s.destroy();
      for (const c of e.children) c.kill('SIGKILL');
      await Promise.all([...e.children].map((c) => (c.exitCode !== null || c.signalCode !== null ? null : new Promise((r) => c.once('close', r)))));
      this.opts.logger.info({ runId }, 'export closed');
    }
    rmSync(this.runDir(runId), { recursive: true, force: true });
    if (this.open.size === 0) this.stopWatch();
  }

  async stopAll(): Promise<void> {
    for (const runId of [...this.open.keys()]) await this.stop(runId);
  }

  private serve(socket: Socket, sockets: Set<Socket>, onSecure: (tls: TLSSocket, log: Logger) => void, runId: string): void {
    const log = this.opts.logger.child({ runId, peer: `${socket.remoteAddress}:${socket.remotePort}` });
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    void this.opts.identity().then(
      (id) => {
        const tls = tlsConnect({ socket, key: id.keyPem, cert: id.certPem, ca: id.caPem, servername: SERVER_WORKER_IDENTITY, minVersion: 'TLSv1.3' });
        tls.on('error', (err) => log.warn({ err: err.message }, 'export connection refused or lost'));
        tls.once('secureConnect', () => onSecure(tls, log));
      },
      (err: unknown) => {
        log.error({ err }, 'no certificate for exports');
        socket.destroy();
      },
    );
  }

  /**
   * One import connection: its first line says extract or compare; the rest is the archive,
   * fed to GNU tar. The answer (ImportStatus) goes back once tar has ended; what the server
   * still sends after that is read and dropped, so its engine never blocks on a full pipe.
   */
  private pipeToTar(runId: string, tls: TLSSocket, target: string, children: Set<ChildProcess>, log: Logger): void {
    let head = Buffer.alloc(0);
    const onHead = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const nl = head.indexOf(0x0a);
      if (nl < 0 && head.length <= IMPORT_HEADER_MAX) return;
      tls.off('data', onHead);
      tls.pause();
      let mode: ImportMode;
      try {
        mode = parseImportHeader(nl < 0 ? head.toString('latin1') : head.subarray(0, nl).toString('utf8'));
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'import connection refused');
        tls.destroy();
        return;
      }
      const cmd = importTarCommand(mode, target);
      const child = spawn(cmd.command, cmd.args, { stdio: ['pipe', 'pipe', 'pipe'] });
      children.add(child);
      this.recordPids(runId, children);
      let members = 0;
      let output = '';
      const keep = (text: string) => (output = (output + text).slice(-IMPORT_OUTPUT_MAX));
      child.stdout.on('data', (d: Buffer) => {
        const text = d.toString('utf8');
        if (mode === 'extract') members += text.split('\n').length - 1;
        else keep(text);
      });
      child.stderr.on('data', (d: Buffer) => keep(d.toString('utf8')));
      child.stdin.on('error', () => undefined);
      child.on('close', (code, signal) => {
        children.delete(child);
        this.recordPids(runId, children);
        tls.unpipe(child.stdin);
        tls.on('data', () => undefined);
        tls.resume();
        const status: ImportStatus = { exitCode: code, members, output: signal ? `${output}\ntar stopped by ${signal}` : output };
        tls.write(`${JSON.stringify(status)}\n`);
        if (code !== 0) log.warn({ mode, code, signal, output: output.slice(-500) }, 'tar ended with an error');
      });
      tls.on('close', () => child.kill('SIGTERM'));
      const rest = head.subarray(nl + 1);
      if (nl >= 0 && rest.length > 0) child.stdin.write(rest);
      tls.pipe(child.stdin);
      tls.resume();
    };
    tls.on('data', onHead);
  }

  private pipeToSftpServer(runId: string, tls: TLSSocket, plan: ReturnType<typeof exportPlan>, children: Set<ChildProcess>, log: Logger): void {
    const child = spawn(plan.command, plan.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    this.recordPids(runId, children);
    child.stderr.on('data', (d: Buffer) => log.warn({ sftpServer: d.toString('utf8').trim() }, 'export server said'));
    child.on('close', (code, signal) => {
      children.delete(child);
      this.recordPids(runId, children);
      tls.destroy();
      if (code !== 0 && signal !== 'SIGKILL') log.warn({ code, signal }, 'export server ended');
    });
    tls.on('close', () => child.kill('SIGTERM'));
    tls.pipe(child.stdin);
    child.stdin.on('error', () => undefined);
    // sftp-server's first answer (its version) means it has loaded: its start-up files go
    // before anything reaches the peer, so the peer never sees them.
    child.stdout.once('data', (first: Buffer) => {
      child.stdout.pause();
      const hide = plan.hide(child.pid!);
      run(hide.command, hide.args).then(
        () => {
          tls.write(first);
          child.stdout.pipe(tls);
        },
        (err: Error) => {
          log.error({ err: err.message }, 'could not drop the export server start-up files; closing the connection');
          child.kill('SIGKILL');
        },
      );
    });
  }

  private recordPids(runId: string, children: Set<ChildProcess>): void {
    const pids = [...children].map((c) => c.pid).filter((p): p is number => p !== undefined);
    try {
      writeFileSync(this.pidsFile(runId), pids.map((p) => `${p}\n`).join(''), { mode: 0o600 });
    } catch {
      /* the export was stopped meanwhile */
    }
  }

  private startWatch(): void {
    if (this.watch) return;
    this.watch = setInterval(() => void this.closeEnded(), this.opts.watchEveryMs ?? 30_000);
    this.watch.unref();
  }

  private stopWatch(): void {
    if (this.watch) clearInterval(this.watch);
    this.watch = undefined;
  }

  /** Closes exports whose runs have ended without stopping them (terminated, or their cleanup never reached this agent). */
  async closeEnded(): Promise<void> {
    for (const [runId, e] of [...this.open]) {
      if (await this.opts.isRunActive(e.workflowId)) continue;
      this.opts.logger.warn({ runId }, 'closing the export of an ended run');
      await this.stop(runId);
    }
  }
}
