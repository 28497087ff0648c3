// Strict request validation at the edge: no type coercion beyond reading a number from
// the URL, no unknown query parameters, no unknown body fields.
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { NextFunction, Request, Response } from 'express';
import { InputError } from '../contract/errors';
import type { OpenApiDocument, Operation, ParameterObject } from './spec';
import type { TokenIdentity } from '../catalog/identity';

export interface ValidatedRequest {
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  body: unknown;
}

declare module 'express-serve-static-core' {
  interface Request {
    valid?: ValidatedRequest;
    identity?: TokenIdentity;
  }
}

export function createAjv(doc: OpenApiDocument): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true, useDefaults: true, coerceTypes: false });
  addFormats(ajv);
  ajv.addSchema({ $id: 'backstop', components: doc.components }, 'backstop');
  return ajv;
}

/** Rewrites `#/components/...` refs to point into the schema registered as `backstop`. */
export function rebase(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (schema && typeof schema === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(schema)) {
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `backstop${v}` : rebase(v);
    }
    return out;
  }
  return schema;
}

/** A URL parameter as the type its schema declares; returns undefined when it does not parse. */
export function readParameter(raw: string, schema: Record<string, unknown> | undefined): unknown {
  const type = schema?.type;
  // Any run of digits becomes a number: the schema's bounds (maximum) then decide, and say so.
  if (type === 'integer') return /^-?\d+$/.test(raw) ? Number(raw) : raw;
  if (type === 'number') return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  if (type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  return raw;
}

/**
 * PostgreSQL text and jsonb cannot hold U+0000, so no string the API takes may contain it
 * (under fuzzing, one in a script's description or an agent's capabilities was a 500).
 * The spec says so in its description; a schema pattern on every string could not.
 */
export function nulCharacters(value: unknown, where: string): Array<{ path: string; message: string }> {
  if (typeof value === 'string') return value.includes('\u0000') ? [{ path: where, message: 'must not contain NUL (U+0000) characters' }] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => nulCharacters(v, `${where}/${i}`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [
      ...(k.includes('\u0000') ? [{ path: where, message: 'must not have a property name containing NUL (U+0000)' }] : []),
      ...nulCharacters(v, `${where}/${k}`),
    ]);
  }
  return [];
}

function describe(errors: ErrorObject[] | null | undefined, where: string): Array<{ path: string; message: string }> {
  return (errors ?? []).map((e) => {
    const extra = e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty: string }).additionalProperty)})` : '';
    return { path: `${where}${e.instancePath}`, message: `${e.message ?? 'is invalid'}${extra}` };
  });
}

export function createValidator(ajv: Ajv2020, op: Operation) {
  const paramValidators = new Map<ParameterObject, ValidateFunction>();
  for (const p of op.parameters) paramValidators.set(p, ajv.compile(rebase(p.schema ?? {}) as object));
  const body = op.bodySchema ? ajv.compile(rebase(op.bodySchema) as object) : null;
  const knownQuery = new Set(op.parameters.filter((p) => p.in === 'query').map((p) => p.name));

  return (req: Request, _res: Response, next: NextFunction): void => {
    const problems: Array<{ path: string; message: string }> = [];
    const params: Record<string, unknown> = {};
    const query: Record<string, unknown> = {};

    for (const name of Object.keys(req.query)) {
      if (!knownQuery.has(name)) problems.push({ path: `query.${name}`, message: 'is not a known parameter' });
    }
    for (const [p, validate] of paramValidators) {
      const source = p.in === 'path' ? req.params : p.in === 'query' ? req.query : req.headers;
      const raw = (source as Record<string, unknown>)[p.in === 'header' ? p.name.toLowerCase() : p.name];
      if (raw === undefined) {
        if (p.required) problems.push({ path: `${p.in}.${p.name}`, message: 'is required' });
        const dflt = (p.schema as { default?: unknown } | undefined)?.default;
        if (dflt !== undefined) (p.in === 'query' ? query : params)[p.name] = dflt;
        continue;
      }
      if (typeof raw !== 'string') {
        problems.push({ path: `${p.in}.${p.name}`, message: 'must be given once' });
        continue;
      }
      const value = readParameter(raw, p.schema);
      if (!validate(value)) problems.push(...describe(validate.errors, `${p.in}.${p.name}`));
      (p.in === 'query' ? query : params)[p.name] = value;
    }

    // express 5 leaves req.body undefined unless a JSON body was sent and parsed.
    const hasBody = req.body !== undefined;
    problems.push(...nulCharacters(params, 'path'), ...nulCharacters(query, 'query'), ...(hasBody ? nulCharacters(req.body, 'body') : []));
    if (body) {
      if (!hasBody && op.bodyRequired) problems.push({ path: 'body', message: 'a JSON body (Content-Type: application/json) is required' });
      else if (hasBody && !body(req.body)) problems.push(...describe(body.errors, 'body'));
    } else if (hasBody) {
      problems.push({ path: 'body', message: 'this operation takes no body' });
    }

    if (problems.length > 0) {
      next(new InputError('the request does not match the API contract', { errors: problems }));
      return;
    }
    req.valid = { params, query, body: req.body };
    next();
  };
}
