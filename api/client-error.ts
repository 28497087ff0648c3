// Requests Node's HTTP parser refuses before express sees them (a request line or headers
// over the 16 KiB limit, malformed framing). Node's own answer is a bare status line with no
// body, e.g. `431` with no Content-Type, which breaks the API's contract that every error is
// problem+json; fuzzing found it with a 16 KiB query string. This answers them as problems.
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

interface ParserError extends Error {
  code?: string;
}

/** Pure: the raw HTTP/1.1 response for a parser error, closing the connection. */
export function clientErrorResponse(code: string | undefined): string {
  const tooLarge = code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const reason = tooLarge ? 'Request Header Fields Too Large' : 'Bad Request';
  const body = JSON.stringify({
    type: 'InputError',
    title: reason,
    status,
    detail: tooLarge ? 'the request line and headers exceed 16 KiB; send long values in a JSON body' : 'the request is not valid HTTP/1.1',
  });
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: ParserError, socket: Duplex) => {
    // A connection reset or a timeout has no one left to answer.
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(clientErrorResponse(err.code));
  });
}
