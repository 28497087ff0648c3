// E-mail over SMTP, sent by nodemailer. One connection per message (no pool: notifications are
// rare, and a pooled connection would outlive the activity that opened it).
//
// settings: host, port? (default 587 / 465 / 25 by security), security ('starttls' default |
//           'tls' | 'none'), username?, from, to (array), caPem? (a private CA's certificate)
// secrets:  password (required with a username, refused without one)
//
// 'starttls' refuses a server that does not offer STARTTLS (no silent fall-back to plain text);
// 'tls' is implicit TLS from the first byte (port 465); 'none' sends in clear and must be chosen
// explicitly, and never with a password. Certificates are always verified (against caPem when
// given).
//
// SMTP replies: 4xx and a dropped or timed-out connection are temporary (DeliveryError, retried);
// 5xx (a refused login, an unknown recipient) is an InputError. The answer is the server's final
// reply ("250 2.0.0 Ok: queued as …").
import nodemailer from 'nodemailer';
import { BackstopError, ErrorType, InputError } from '../../../../contract/errors';
import type { ChannelDeliverer, ChannelSpec, DeliveryAnswer, NotificationMessage } from '../../../../contract/notifications';
import { factLines, messageFacts } from './facts';
import { onlyKeys, optionalInteger, optionalString, requireString, singleLine, type Fields } from './fields';
import { EVENT_HEADER, isCertificateError } from './http';
import { scrub, secretFragments } from './redact';

export const SECURITY_MODES = ['starttls', 'tls', 'none'] as const;
export type SmtpSecurity = (typeof SECURITY_MODES)[number];

export const DEFAULT_PORTS = { starttls: 587, tls: 465, none: 25 } as const satisfies Record<SmtpSecurity, number>;

const SETTINGS = ['host', 'port', 'security', 'username', 'from', 'to', 'caPem'] as const;

// A plain address, or for `from` also `Name <address>`. Strict enough to refuse a typo or a
// header injection; the server has the last word on what it delivers.
const ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+$/;
const NAMED_ADDRESS = /^[^<>\r\n"]*<[^\s@<>",;]+@[^\s@<>",;]+>$/;

export interface EmailSettings {
  host: string;
  port: number;
  security: SmtpSecurity;
  username?: string;
  from: string;
  to: string[];
  caPem?: string;
}

/** The settings, checked; throws InputError naming the field. */
export function emailSettings(settings: Fields, secrets: Fields): EmailSettings {
  onlyKeys(settings, SETTINGS, 'settings');
  onlyKeys(secrets, ['password'], 'secrets');
  const host = singleLine(requireString(settings, 'host', 'settings'), 'settings.host');
  if (/[\s/]/.test(host)) throw new InputError('settings.host must be a host name or address', { field: 'settings.host' });
  const security = (settings.security ?? 'starttls') as SmtpSecurity;
  if (!SECURITY_MODES.includes(security)) throw new InputError(`settings.security must be one of ${SECURITY_MODES.join(', ')}`, { field: 'settings.security' });
  const port = optionalInteger(settings, 'port', 'settings', 1, 65_535) ?? DEFAULT_PORTS[security];
  const username = optionalString(settings, 'username', 'settings');
  if (username !== undefined) singleLine(username, 'settings.username');
  const password = optionalString(secrets, 'password', 'secrets');
  if (username !== undefined && password === undefined) throw new InputError('secrets.password is required with settings.username', { field: 'secrets.password' });
  if (username === undefined && password !== undefined) throw new InputError('secrets.password needs settings.username', { field: 'secrets.password' });
  if (security === 'none' && username !== undefined) throw new InputError("settings.security 'none' would send the password in clear: use 'starttls' or 'tls'", { field: 'settings.security' });
  const from = requireString(settings, 'from', 'settings');
  if (!ADDRESS.test(from) && !NAMED_ADDRESS.test(from)) throw new InputError('settings.from must be an address (backstop@example.com or Backstop <backstop@example.com>)', { field: 'settings.from' });
  const to = settings.to;
  if (to === undefined) throw new InputError('settings.to is required', { field: 'settings.to' });
  if (!Array.isArray(to) || to.length === 0) throw new InputError('settings.to must be a non-empty array of addresses', { field: 'settings.to' });
  to.forEach((a, i) => {
    if (typeof a !== 'string' || !ADDRESS.test(a)) throw new InputError(`settings.to[${i}] must be an address (ops@example.com)`, { field: `settings.to[${i}]` });
  });
  const caPem = optionalString(settings, 'caPem', 'settings');
  if (caPem !== undefined && !/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(caPem)) throw new InputError('settings.caPem must be a PEM certificate', { field: 'settings.caPem' });
  return { host, port, security, username, from, to: to as string[], caPem };
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

/** Subject = the title (on one line), a plain-text body and the same as simple escaped HTML. */
export function renderEmail(m: NotificationMessage): EmailContent {
  const subject = m.title.replace(/[\r\n]+/g, ' ');
  const text = `${m.text}\n\n${factLines(m)}\n\n-- \nSent by Backstop\n`;
  const rows = messageFacts(m)
    .map(([k, v]) => `<tr><th align="left" style="padding-right:1em">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join('');
  const html = `<!doctype html><html><body><h2>${escapeHtml(subject)}</h2><p style="white-space:pre-wrap">${escapeHtml(m.text)}</p><table>${rows}</table><p style="color:#888">Sent by Backstop</p></body></html>`;
  return { subject, text, html };
}

/** How nodemailer is told to connect. */
export function smtpOptions(s: EmailSettings, password: string | undefined, timeoutMs: number) {
  return {
    host: s.host,
    port: s.port,
    secure: s.security === 'tls',
    requireTLS: s.security === 'starttls',
    ignoreTLS: s.security === 'none',
    auth: s.username !== undefined ? { user: s.username, pass: password ?? '' } : undefined,
    tls: { rejectUnauthorized: true, minVersion: 'TLSv1.2' as const, ...(s.caPem ? { ca: [s.caPem] } : {}) },
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    dnsTimeout: timeoutMs,
    // nodemailer logs nothing unless asked; keep it that way (its debug log would show AUTH).
    logger: false,
    debug: false,
  };
}

// Connection-level failures that a later try may not meet (the server down, a network blip,
// a timeout). A TLS failure is not among them: a certificate that does not verify, or a server
// without STARTTLS under 'starttls', is a configuration to fix.
const TEMPORARY_CODES = ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'EPROTOCOL'];

/** The error a failed send becomes; `fragments` are scrubbed from its message. */
export function classifySmtpError(err: unknown, where: string, fragments: readonly string[]): BackstopError {
  const e = err as { code?: string; responseCode?: number; response?: string; message?: string };
  const said = scrub(e.response ?? e.message ?? String(err), fragments);
  if (typeof e.responseCode === 'number') {
    const type = e.responseCode >= 500 ? ErrorType.input : ErrorType.delivery;
    return new BackstopError(type, `${where} answered ${said}`, { status: e.responseCode });
  }
  if (isCertificateError(err)) return new BackstopError(ErrorType.input, `${where}: the server's certificate does not verify: ${said}`);
  const type = e.code !== undefined && TEMPORARY_CODES.includes(e.code) ? ErrorType.delivery : e.code === 'ETLS' || e.code === 'EAUTH' || e.code === 'EENVELOPE' ? ErrorType.input : ErrorType.delivery;
  return new BackstopError(type, `${where}: ${said}${e.code ? ` (${e.code})` : ''}`);
}

async function deliverEmail(spec: ChannelSpec, message: NotificationMessage, opts: { signal?: AbortSignal; timeoutMs: number }): Promise<DeliveryAnswer> {
  const s = emailSettings(spec.settings, spec.secrets);
  const fragments = secretFragments(spec.secrets);
  const where = `email via ${s.host}:${s.port}`;
  const content = renderEmail(message);
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const transport = nodemailer.createTransport(smtpOptions(s, spec.secrets.password, opts.timeoutMs));
  try {
    const info = await transport.sendMail({
      from: s.from,
      to: s.to,
      subject: content.subject,
      text: content.text,
      html: content.html,
      headers: { [EVENT_HEADER]: message.event },
      signal,
    });
    const response = scrub(String(info.response ?? ''), fragments);
    const code = Number(/^\d{3}/.exec(response)?.[0] ?? NaN);
    const rejected = info.rejected?.length ? ` (${info.rejected.length} of ${s.to.length} recipients refused)` : '';
    return { status: Number.isNaN(code) ? null : code, detail: `${response}${rejected}` };
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? err;
    if (timeout.aborted) throw new BackstopError(ErrorType.delivery, `${where}: no answer within ${opts.timeoutMs} ms`);
    throw classifySmtpError(err, where, fragments);
  } finally {
    transport.close();
  }
}

export const email: ChannelDeliverer = {
  description: { kind: 'email', secretFields: ['password'] },
  validate(settings, secrets) {
    emailSettings(settings, secrets);
  },
  deliver: deliverEmail,
};
