// A real SMTP server for the notification tests: aiosmtpd (PyPI, in .tools/venv, installed by
// scripts/setup.sh) run by smtp_server.py on loopback, with a certificate from the project's own
// internal CA code, STARTTLS or implicit TLS, and AUTH for one user. Every accepted message is
// read back as the JSON line the server prints for it.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createCertificateAuthority, signServerCertificate, type CertificateAuthority } from '../../core/pki';
import { freePort } from './ports';
import { TOOLS_BIN } from './tools';
import { waitFor } from './wait';
import { stopChild } from './child-process';

export interface ReceivedMail {
  mailFrom: string;
  rcptTos: string[];
  from: string;
  to: string;
  subject: string;
  event: string | null;
  text: string | null;
  html: string | null;
  authUser: string | null;
  tls: boolean;
}

export interface SmtpServer {
  host: '127.0.0.1';
  port: number;
  mode: 'starttls' | 'tls';
  /** The CA that signed the server's certificate (a client's caPem). */
  caPem: string;
  user: string;
  password: string;
  /** Messages accepted so far, in order. */
  messages: ReceivedMail[];
  /** What the server printed on stderr (for a failing test's message). */
  log(): string;
  stop(): Promise<void>;
}

export async function startSmtp(mode: 'starttls' | 'tls', ca?: CertificateAuthority): Promise<SmtpServer> {
  const authority = ca ?? (await createCertificateAuthority('Backstop test SMTP CA', 1));
  const cert = await signServerCertificate(authority, ['127.0.0.1', 'localhost'], 3_600_000);
  const dir = mkdtempSync(join(tmpdir(), 'backstop-smtp-'));
  writeFileSync(join(dir, 'cert.pem'), cert.certPem);
  writeFileSync(join(dir, 'key.pem'), cert.keyPem, { mode: 0o600 });
  const port = await freePort();
  const user = 'backstop';
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const proc: ChildProcess = spawn(
    join(TOOLS_BIN, 'python'),
    [join(__dirname, 'smtp_server.py'), '--port', String(port), '--mode', mode, '--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem'), '--user', user, '--password', password],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const messages: ReceivedMail[] = [];
  let ready = false;
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    const rec = JSON.parse(line) as ReceivedMail & { ready?: boolean };
    if (rec.ready) ready = true;
    else messages.push(rec);
  });
  const server: SmtpServer = {
    host: '127.0.0.1',
    port,
    mode,
    caPem: authority.certPem,
    user,
    password,
    messages,
    log: () => stderr,
    async stop() {
      await stopChild(proc, 5_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    // An exit ends the wait at once (a throw inside waitFor would only count as "not yet").
    await waitFor(`aiosmtpd (${mode}) on port ${port}`, async () => ready || proc.exitCode !== null, 30_000, 50);
    if (!ready) throw new Error(`smtp_server.py exited with code ${proc.exitCode}: ${stderr}`);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}
