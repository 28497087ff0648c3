import { createAjv } from './validation';
import { listOperations, loadSpec } from './spec';
import { createResponseCheck, declaredResponse, mediaTypeOf } from './response-contract';

const doc = loadSpec();
const ops = new Map(listOperations(doc).map((op) => [op.operationId, op]));
const check = createResponseCheck(createAjv(doc), doc.components.responses!.Problem!);
const op = (id: string) => ops.get(id)!;

const snapshot = {
  id: 'a1b2c3',
  repositoryId: 1,
  jobId: 2,
  runId: 'backup-2-x',
  time: '2026-12-02T10:00:00Z',
  hostname: 'h',
  paths: ['/srv'],
  tags: [],
  createdAt: '2026-12-02T10:00:05Z',
};
const json = 'application/json; charset=utf-8';

describe('response contract', () => {
  it('passes an answer that matches its operation', () => {
    expect(check(op('listSnapshots'), 200, json, JSON.stringify({ items: [snapshot] }))).toBeNull();
  });

  it('names the field a drifted answer added or lost', () => {
    expect(check(op('listSnapshots'), 200, json, JSON.stringify({ items: [{ ...snapshot, size: 1 }] }))).toBe(
      'listSnapshots 200: /items/0 must NOT have additional properties (size)',
    );
    const without: Record<string, unknown> = { ...snapshot };
    delete without.createdAt;
    expect(check(op('listSnapshots'), 200, json, JSON.stringify({ items: [without] }))).toBe("listSnapshots 200: /items/0 must have required property 'createdAt'");
  });

  it('checks errors against the shared Problem response, with or without an operation', () => {
    const problem = JSON.stringify({ type: 'NotFoundError', title: 'Not found', status: 404, detail: 'x' });
    expect(check(op('getRun'), 404, 'application/problem+json', problem)).toBeNull();
    expect(check(null, 404, 'application/problem+json', problem)).toBeNull();
    expect(check(null, 404, 'application/problem+json', JSON.stringify({ title: 'x' }))).toContain("must have required property 'type'");
  });

  it('refuses a media type or a body the operation does not declare', () => {
    expect(check(op('listSnapshots'), 200, 'text/html', '<p>')).toBe('listSnapshots 200: media type text/html is not among application/json');
    expect(check(op('listSnapshots'), 200, json, '{')).toBe('listSnapshots 200: the body is not JSON');
    const deleteOp = listOperations(doc).find((o) => o.responses['204'] && !o.responses['204'].content)!;
    expect(check(deleteOp, 204, undefined, undefined)).toBeNull();
    expect(check(deleteOp, 204, json, '{}')).toBe(`${deleteOp.operationId} 204: declares no body but one was sent`);
  });

  it('finds the declared response by code, class, then default', () => {
    const responses = { '200': { description: 'a' }, '4XX': { description: 'b' }, default: { description: 'c' } };
    expect(declaredResponse(responses, 200)?.description).toBe('a');
    expect(declaredResponse(responses, 404)?.description).toBe('b');
    expect(declaredResponse(responses, 500)?.description).toBe('c');
    expect(declaredResponse({ '200': { description: 'a' } }, 500)).toBeUndefined();
    expect(mediaTypeOf('Application/JSON; charset=utf-8')).toBe('application/json');
    expect(mediaTypeOf(undefined)).toBeNull();
  });
});
