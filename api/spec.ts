// The OpenAPI document is the contract: routes are mounted from it, and every request is
// validated against it before a handler sees it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../core/project-root';
import { parse } from 'yaml';

export const SPEC_PATH = join(projectRoot(), 'openapi', 'backstop.yaml');

export interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Record<string, unknown>;
  $ref?: string;
}

/** A response as the spec declares it: media types, each with an optional schema. */
export interface ResponseObject {
  description?: string;
  content?: Record<string, { schema?: Record<string, unknown> }>;
  $ref?: string;
}

export interface OperationObject {
  operationId: string;
  parameters?: ParameterObject[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Record<string, unknown> }> };
  responses?: Record<string, ResponseObject>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, unknown> & { parameters?: ParameterObject[] }>;
  components: { schemas: Record<string, unknown>; parameters?: Record<string, ParameterObject>; responses?: Record<string, ResponseObject> };
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface Operation {
  method: HttpMethod;
  path: string;
  /** `/v1/runs/{runId}` → `/v1/runs/:runId` */
  expressPath: string;
  operationId: string;
  parameters: ParameterObject[];
  bodySchema: Record<string, unknown> | null;
  bodyRequired: boolean;
  /** By status code (`200`, `4XX`, `default`), references resolved. */
  responses: Record<string, ResponseObject>;
}

export function loadSpec(path = SPEC_PATH): OpenApiDocument {
  return parse(readFileSync(path, 'utf8')) as OpenApiDocument;
}

export function toExpressPath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
}

function resolveParameter(doc: OpenApiDocument, p: ParameterObject): ParameterObject {
  if (!p.$ref) return p;
  const name = p.$ref.replace('#/components/parameters/', '');
  const found = doc.components.parameters?.[name];
  if (!found) throw new Error(`unresolved parameter ${p.$ref}`);
  return found;
}

function resolveResponse(doc: OpenApiDocument, r: ResponseObject): ResponseObject {
  if (!r.$ref) return r;
  const found = doc.components.responses?.[r.$ref.replace('#/components/responses/', '')];
  if (!found) throw new Error(`unresolved response ${r.$ref}`);
  return found;
}

export function listOperations(doc: OpenApiDocument): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    const shared = (item.parameters ?? []).map((p) => resolveParameter(doc, p));
    for (const method of HTTP_METHODS) {
      const op = item[method] as OperationObject | undefined;
      if (!op) continue;
      const own = (op.parameters ?? []).map((p) => resolveParameter(doc, p));
      const json = op.requestBody?.content['application/json'];
      ops.push({
        method,
        path,
        expressPath: toExpressPath(path),
        operationId: op.operationId,
        parameters: [...shared, ...own],
        bodySchema: json?.schema ?? null,
        bodyRequired: op.requestBody?.required ?? false,
        responses: Object.fromEntries(Object.entries(op.responses ?? {}).map(([status, r]) => [status, resolveResponse(doc, r)])),
      });
    }
  }
  return ops;
}
