import { sseEvent, tailStart } from './run-log';
import { SseParser } from '../../core/sse';

describe('sseEvent', () => {
  it('writes id, event and one line of JSON data, which the CLI parser reads back', () => {
    const line = { seq: 7, line: 'two\nlines' };
    const text = sseEvent('line', line, 7);
    expect(text).toBe('id: 7\nevent: line\ndata: {"seq":7,"line":"two\\nlines"}\n\n');
    expect(new SseParser().feed(text)).toEqual([{ id: '7', event: 'line', data: JSON.stringify(line) }]);
  });

  it('leaves the id out when there is none', () => {
    expect(sseEvent('end', { status: 'failed' })).toBe('event: end\ndata: {"status":"failed"}\n\n');
  });
});

describe('tailStart', () => {
  it('resumes after the later of afterSeq and Last-Event-ID', () => {
    expect(tailStart(0, undefined)).toBe(0);
    expect(tailStart(5, undefined)).toBe(5);
    expect(tailStart(5, '12')).toBe(12);
    expect(tailStart(20, '12')).toBe(20);
  });
});
