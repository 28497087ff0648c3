import { clientErrorResponse } from './client-error';

describe('clientErrorResponse', () => {
  it('answers oversized headers with a 431 problem document and closes', () => {
    const raw = clientErrorResponse('HPE_HEADER_OVERFLOW');
    const [head, body] = raw.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(head).toContain('Content-Type: application/problem+json');
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(body!)}`);
    expect(head).toContain('Connection: close');
    expect(JSON.parse(body!)).toMatchObject({ type: 'InputError', status: 431 });
  });

  it('answers other parser errors with 400', () => {
    expect(JSON.parse(clientErrorResponse('HPE_INVALID_METHOD').split('\r\n\r\n')[1]!)).toMatchObject({ status: 400, title: 'Bad Request' });
  });
});
