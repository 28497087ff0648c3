// The API's answers checked against the spec, for tests and the fuzzer: a response whose
// status, media type or body the operation does not declare is a bug in the API (or in the
// spec), so it is logged and replaced by a 500 the caller cannot miss. Off in production,
// where a drifted field is better delivered than refused; on with BACKSTOP_VALIDATE_RESPONSES=1.
import type Ajv2020 from 'ajv/dist/2020';
import type { ValidateFunction } from 'ajv/dist/2020';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../core/logger';
import type { Operation, ResponseObject } from './spec';
import { rebase } from './validation';
import { sendProblem } from './problem';

/** The declared response for a status: exact code, then its class (`4XX`), then `default`. */
export function declaredResponse(responses: Record<string, ResponseObject>, status: number): ResponseObject | undefined {
  return responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
}

/** `application/json; charset=utf-8` → `application/json`. */
export function mediaTypeOf(contentType: string | undefined): string | null {
  const t = contentType?.split(';')[0]?.trim().toLowerCase();
  return t ? t : null;
}

/** Checks one JSON answer; returns what is wrong with it, or null. */
export type ResponseCheck = (op: Operation | null, status: number, contentType: string | undefined, body: string | undefined) => string | null;

/**
 * Requests no operation matched (unknown paths, 405, a body the parser refused) are answered
 * with a problem document: they are checked against `problem`, the spec's shared response.
 */
export function createResponseCheck(ajv: Ajv2020, problem: ResponseObject): ResponseCheck {
  const compiled = new Map<object, ValidateFunction>();
  const validatorOf = (schema: Record<string, unknown>): ValidateFunction => {
    let v = compiled.get(schema);
    if (!v) {
      v = ajv.compile(rebase(schema) as object);
      compiled.set(schema, v);
    }
    return v;
  };
  return (op, status, contentType, body) => {
    const declared = op ? declaredResponse(op.responses, status) : problem;
    const where = op ? `${op.operationId} ${status}` : `${status} (no operation)`;
    if (!declared) return `${where}: status ${status} is not declared`;
    const empty = body === undefined || body === '';
    if (!declared.content) return empty ? null : `${where}: declares no body but one was sent`;
    if (empty) return null;
    const media = mediaTypeOf(contentType);
    const entry = media ? declared.content[media] : undefined;
    if (!entry) return `${where}: media type ${media ?? '(none)'} is not among ${Object.keys(declared.content).join(', ')}`;
    if (!entry.schema || !(media === 'application/json' || media?.endsWith('+json'))) return null;
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      return `${where}: the body is not JSON`;
    }
    const validate = validatorOf(entry.schema);
    if (validate(value)) return null;
    return `${where}: ${(validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty: string }).additionalProperty)})` : ''}`).join('; ')}`;
  };
}

/** Marks the operation a request matched, for the check in responseContractMiddleware. */
export const markOperation = (op: Operation) => (_req: Request, res: Response, next: NextFunction): void => {
  res.locals.operation = op;
  next();
};

/**
 * Wraps res.send, where every JSON answer passes (res.json calls it with the serialised
 * body). Streamed answers (files, event streams) are written, not sent, and stay unchecked.
 */
export function responseContractMiddleware(check: ResponseCheck, logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const send = res.send.bind(res);
    let checked = false;
    res.send = ((body?: unknown) => {
      if (checked) return send(body);
      checked = true;
      const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : body === undefined ? undefined : JSON.stringify(body);
      const violation = check((res.locals.operation as Operation | undefined) ?? null, res.statusCode, res.get('Content-Type'), text);
      if (violation === null) return send(body);
      logger.error({ method: req.method, url: req.originalUrl, violation }, 'response does not match the API contract');
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      sendProblem(res, { type: 'ResponseContractError', title: 'Response does not match the API contract', status: 500, detail: violation });
      return res;
    }) as Response['send'];
    next();
  };
}
