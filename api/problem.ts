// The one place business errors become HTTP: RFC 9457 problem+json.
import type { NextFunction, Request, Response } from 'express';
import { BackstopError, ErrorType } from '../contract/errors';
import type { Logger } from '../core/logger';

const STATUS: Partial<Record<ErrorType, number>> = {
  [ErrorType.input]: 400,
  [ErrorType.unauthorized]: 401,
  [ErrorType.forbidden]: 403,
  [ErrorType.notFound]: 404,
  [ErrorType.conflict]: 409,
  [ErrorType.repositoryAuth]: 422,
  [ErrorType.repositoryMissing]: 422,
  [ErrorType.sourceMissing]: 422,
  [ErrorType.repositoryDamaged]: 422,
  [ErrorType.repositoryLocked]: 409,
  [ErrorType.engine]: 502,
  [ErrorType.delivery]: 502,
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: Array<{ path: string; message: string }>;
}

export function sendProblem(res: Response, p: Problem): void {
  res.status(p.status).type('application/problem+json').send(JSON.stringify(p));
}

/** Errors thrown by express' own body parser carry a `type` and a status. */
function bodyParserProblem(err: { type?: string; status?: number }): Problem | null {
  if (err.type === 'entity.parse.failed') return { type: 'InputError', title: 'Malformed JSON', status: 400, detail: 'the request body is not valid JSON' };
  if (err.type === 'entity.too.large') return { type: 'InputError', title: 'Body too large', status: 413, detail: 'the request body exceeds the size limit' };
  if (err.type === 'charset.unsupported' || err.type === 'encoding.unsupported') {
    return { type: 'InputError', title: 'Unsupported encoding', status: 415, detail: 'send UTF-8 JSON' };
  }
  return null;
}

export function problemMiddleware(logger: Logger) {
  return (err: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const fromParser = bodyParserProblem(err as { type?: string });
    if (fromParser) {
      sendProblem(res, fromParser);
      return;
    }
    if (err instanceof BackstopError) {
      const status = STATUS[err.type] ?? 500;
      const errors = (err.details?.errors as Problem['errors']) ?? undefined;
      sendProblem(res, { type: err.type, title: err.type.replace(/Error$/, ' error'), status, detail: err.message, ...(errors ? { errors } : {}) });
      return;
    }
    // Unexpected: log it in full, tell the client nothing internal.
    logger.error({ err, method: req.method, url: req.originalUrl }, 'unhandled API error');
    sendProblem(res, { type: 'InternalError', title: 'Internal error', status: 500, detail: 'the server failed to handle this request; see its log' });
  };
}
