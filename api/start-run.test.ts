import { idempotencyOf } from './start-run';

describe('idempotencyOf', () => {
  it('scopes the Idempotency-Key header to what the route starts', () => {
    expect(idempotencyOf({ id: 4, 'Idempotency-Key': 'k-1' }, 'runJob:4')).toEqual({ key: 'k-1', scope: 'runJob:4' });
  });

  it('is absent without the header', () => {
    expect(idempotencyOf({ id: 4 }, 'runJob:4')).toBeUndefined();
  });
});
