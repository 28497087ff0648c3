import { storedInstant } from './instant';

describe('storedInstant', () => {
  it('stores any RFC 3339 offset as UTC', () => {
    expect(storedInstant('2052-07-17T14:47:50.81-22:09', 'at')).toBe('2052-07-18T12:56:50.810Z');
    expect(storedInstant('2026-12-02T10:00:00Z', 'at')).toBe('2026-12-02T10:00:00.000Z');
    expect(storedInstant('0001-01-01T00:00:00Z', 'at')).toBe('0001-01-01T00:00:00.000Z');
  });

  it('refuses what PostgreSQL cannot hold, naming the field', () => {
    expect(() => storedInstant('0001-01-01T00:30:00+01:00', 'lines[0].at')).toThrow('lines[0].at is before 0001-01-01T00:00:00Z, the earliest time Backstop stores');
    expect(() => storedInstant('soon', 'since')).toThrow('since is not a date-time: "soon"');
  });
});
