import { FAILED } from './__fixtures__/messages';
import { classifySmtpError, email, emailSettings, renderEmail, smtpOptions } from './email';
import { secretFragments } from './redact';

const base = { host: 'smtp.example.com', from: 'Backstop <backstop@example.com>', to: ['ops@example.com'] };

describe('emailSettings', () => {
  it('defaults to STARTTLS on 587 and picks the port by security', () => {
    expect(emailSettings(base, {})).toMatchObject({ security: 'starttls', port: 587 });
    expect(emailSettings({ ...base, security: 'tls' }, {})).toMatchObject({ port: 465 });
    expect(emailSettings({ ...base, security: 'none', port: 2525 }, {})).toMatchObject({ security: 'none', port: 2525 });
  });
  it.each([
    [{ ...base, host: undefined }, {}, 'settings.host'],
    [{ ...base, security: 'ssl' }, {}, 'settings.security'],
    [{ ...base, port: 70000 }, {}, 'settings.port'],
    [{ ...base, port: '25' }, {}, 'settings.port'],
    [{ ...base, username: 'u' }, {}, 'secrets.password is required'],
    [base, { password: 'p' }, 'secrets.password needs settings.username'],
    [{ ...base, security: 'none', username: 'u' }, { password: 'p' }, "settings.security 'none'"],
    [{ ...base, from: 'nobody' }, {}, 'settings.from'],
    [{ ...base, from: 'a@b\r\nBcc: x@y' }, {}, 'settings.from'],
    [{ ...base, to: 'ops@example.com' }, {}, 'settings.to'],
    [{ ...base, to: [] }, {}, 'settings.to'],
    [{ ...base, to: ['ok@example.com', 'bad'] }, {}, 'settings.to[1]'],
    [{ ...base, caPem: 'not pem' }, {}, 'settings.caPem'],
    [{ ...base, tls: true }, {}, 'settings.tls'],
    [base, { pass: 'x' }, 'secrets.pass'],
  ])('refuses %j / %j naming %s', (settings, secrets, field) => {
    expect(() => email.validate(settings as Record<string, unknown>, secrets as Record<string, string>)).toThrow(field);
  });
});

describe('smtpOptions', () => {
  it('requires STARTTLS, uses implicit TLS, or plain only when asked', () => {
    const s = emailSettings({ ...base, username: 'u', caPem: '-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----' }, { password: 'pw' });
    expect(smtpOptions(s, 'pw', 5000)).toMatchObject({ secure: false, requireTLS: true, ignoreTLS: false, auth: { user: 'u', pass: 'pw' }, tls: { rejectUnauthorized: true, ca: [s.caPem] }, connectionTimeout: 5000 });
    expect(smtpOptions(emailSettings({ ...base, security: 'tls' }, {}), undefined, 5000)).toMatchObject({ secure: true, requireTLS: false, auth: undefined });
    expect(smtpOptions(emailSettings({ ...base, security: 'none' }, {}), undefined, 5000)).toMatchObject({ secure: false, requireTLS: false, ignoreTLS: true });
  });
});

describe('renderEmail', () => {
  it('uses the title as a one-line subject, text and escaped HTML bodies', () => {
    const c = renderEmail({ ...FAILED, title: 'Backup failed\r\nBcc: x@y' });
    expect(c.subject).toBe('Backup failed Bcc: x@y');
    expect(c.text).toContain(FAILED.text);
    expect(c.text).toContain('Agent: web-1');
    expect(c.html).toContain('&lt;on&gt; &quot;db-1&quot; &amp; more');
    expect(c.html).not.toContain('<on>');
  });
});

describe('classifySmtpError', () => {
  const fragments = secretFragments({ password: 'hunter2-secret' });
  it('makes a 4xx reply temporary and a 5xx reply a refusal', () => {
    expect(classifySmtpError({ code: 'EENVELOPE', responseCode: 451, response: '451 4.3.0 try later' }, 'email', fragments)).toMatchObject({ type: 'DeliveryError', retryable: true });
    const auth = classifySmtpError({ code: 'EAUTH', responseCode: 535, response: '535 5.7.8 bad credentials for hunter2-secret', message: 'Invalid login' }, 'email', fragments);
    expect(auth).toMatchObject({ type: 'InputError', retryable: false });
    expect(auth.message).toContain('535');
    expect(auth.message).not.toContain('hunter2');
  });
  it('makes a dropped connection temporary and a TLS failure a refusal', () => {
    expect(classifySmtpError({ code: 'ECONNECTION', message: 'connect ECONNREFUSED 127.0.0.1:25' }, 'email', fragments).type).toBe('DeliveryError');
    expect(classifySmtpError({ code: 'ETIMEDOUT', message: 'Greeting never received' }, 'email', fragments).type).toBe('DeliveryError');
    expect(classifySmtpError({ code: 'ETLS', message: 'Error initiating TLS - self-signed certificate' }, 'email', fragments).type).toBe('InputError');
    expect(classifySmtpError({ code: 'ESOCKET', originalCode: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'self-signed certificate in certificate chain' }, 'email', fragments).type).toBe('InputError');
  });
});
