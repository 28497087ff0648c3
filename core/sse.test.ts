import { SseParser } from './sse';

describe('SseParser', () => {
  it('reads events split across chunks, skipping comments', () => {
    const p = new SseParser();
    expect(p.feed(': hello\n\nid: 3\nevent: li')).toEqual([]);
    expect(p.feed('ne\ndata: {"seq":3}\n\nevent: end\r\ndata: {}\r\n\r\n')).toEqual([
      { id: '3', event: 'line', data: '{"seq":3}' },
      { id: '3', event: 'end', data: '{}' },
    ]);
  });

  it('joins multi-line data and defaults the event name', () => {
    expect(new SseParser().feed('data: a\ndata: b\n\n')).toEqual([{ id: null, event: 'message', data: 'a\nb' }]);
  });
});
