// The console's pure parts, in Node: field errors from problem documents, hash routes, the
// dashboard's strips, the run timeline and the job chart's scaling.
import type { components } from '../../contract/generated/api-schema';
import { jobChart, polyline } from './chart';
import { fieldOf, formErrors, lines } from './form-errors';
import { ProblemError } from './problem';
import { errorsOf } from './form-errors';
import { stripsByJob, STRIP } from './strips';
import { mergeSteps, timeline } from './run-steps';
import { parseJsonObject } from './json-field';

type Run = components['schemas']['Run'];

const run = (over: Partial<Run>): Run => ({
  id: 'r',
  jobId: 1,
  kind: 'backup',
  repositoryId: 1,
  agentName: 'local',
  workflowId: 'w',
  status: 'succeeded',
  snapshotId: null,
  stats: null,
  warnings: [],
  failureReason: null,
  details: null,
  startedAt: '2026-12-01T00:00:00Z',
  finishedAt: null,
  progress: null,
  ...over,
});

describe('form errors', () => {
  it('puts each validation error at the field its path names, the rest above the form', () => {
    expect(fieldOf('body/name')).toBe('name');
    expect(fieldOf('body/paths/0')).toBe('paths');
    expect(fieldOf('query.limit')).toBeNull();
    const e = formErrors({
      type: 'InputError',
      title: 'Invalid request',
      status: 400,
      detail: 'body: must have required property password',
      errors: [
        { path: 'body', message: "must have required property 'password'" },
        { path: 'body/name', message: 'must NOT have fewer than 1 characters' },
        { path: 'body/paths/0', message: 'must match pattern "^/"' },
      ],
    });
    expect(e.fields).toEqual({ name: ['must NOT have fewer than 1 characters'], paths: ['must match pattern "^/"'] });
    expect(e.general).toBe("body must have required property 'password'");
  });
  it("shows a business error's detail above the form", () => {
    const e = errorsOf(new ProblemError({ type: 'ConflictError', title: 'Conflict', status: 409, detail: 'a job named "x" exists' }));
    expect(e).toEqual({ fields: {}, general: 'a job named "x" exists' });
  });
  it('reads a textarea as trimmed non-blank lines', () => {
    expect(lines(' /a \n\n/b\n  ')).toEqual(['/a', '/b']);
  });
});

describe('strips', () => {
  it('keeps the newest STRIP backups of each job, skipping other kinds and repository runs', () => {
    const runs = [...Array.from({ length: STRIP + 5 }, (_, i) => run({ id: `b${i}` })), run({ id: 'p', kind: 'prune', jobId: null }), run({ id: 'd', kind: 'drill' }), run({ id: 'o', jobId: 2 })];
    const strips = stripsByJob(runs);
    expect(strips.get(1)!.map((r) => r.id)).toEqual(Array.from({ length: STRIP }, (_, i) => `b${i}`));
    expect(strips.get(2)!.map((r) => r.id)).toEqual(['o']);
  });
});

describe('timeline', () => {
  it('lists the steps seen, the current one, then those only the log names, each once', () => {
    const log = [{ seq: 1, at: '', step: 'engine', stream: 'stdout' as const, line: '', attempt: 1 }, { seq: 2, at: '', step: 'post-hook', stream: 'stdout' as const, line: '', attempt: 1 }];
    expect(timeline(['preparing', 'snapshot'], 'engine', log)).toEqual(['preparing', 'snapshot', 'engine', 'post-hook']);
  });
  it('keeps the steps once reported, adding new ones in order', () => {
    const seen = ['preparing'];
    expect(mergeSteps(seen, ['preparing'])).toBe(seen);
    expect(mergeSteps(seen, ['preparing', 'snapshot', 'engine'])).toEqual(['preparing', 'snapshot', 'engine']);
  });
});

describe('job chart', () => {
  it('scales values into the box, oldest left, the largest at the top', () => {
    expect(polyline([0, 50, 100], [0, 5, 10], 200, 100)).toEqual({
      points: '0.0,100.0 100.0,50.0 200.0,0.0',
      dots: [
        [0, 100],
        [100, 50],
        [200, 0],
      ],
      max: 10,
    });
    expect(polyline([7], [3], 200, 100).points).toBe('100.0,0.0');
    expect(polyline([1, 2], [0, 0], 200, 100).points).toBe('0.0,100.0 200.0,100.0');
  });
  it('draws finished backups with stats in time order', () => {
    const stats = (durationSeconds: number, dataAdded: number) => ({ filesNew: 0, filesChanged: 0, filesUnmodified: 0, dirsNew: 0, dirsChanged: 0, dirsUnmodified: 0, dataAdded, totalFilesProcessed: 0, totalBytesProcessed: 0, durationSeconds });
    const c = jobChart(
      [run({ startedAt: '2026-12-02T00:00:00Z', stats: stats(20, 100) }), run({ startedAt: '2026-12-01T00:00:00Z', stats: stats(10, 300) }), run({ status: 'running' })],
      100,
      10,
    );
    expect(c).toMatchObject({ count: 2, first: '2026-12-01T00:00:00Z', last: '2026-12-02T00:00:00Z' });
    expect(c.duration.points).toBe('0.0,5.0 100.0,0.0');
    expect(c.bytesAdded.points).toBe('0.0,0.0 100.0,6.7');
  });
});

describe('JSON settings fields', () => {
  it('takes a JSON object, blank as {}, and names what is wrong otherwise', () => {
    expect(parseJsonObject('{"url": "http://x"}')).toEqual({ value: { url: 'http://x' } });
    expect(parseJsonObject('  ')).toEqual({ value: {} });
    expect(parseJsonObject('[1]')).toEqual({ error: expect.stringContaining('must be a JSON object') });
    expect(parseJsonObject('{"url": ')).toEqual({ error: expect.stringContaining('is not valid JSON') });
  });
});
