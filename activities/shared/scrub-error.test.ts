import { BackstopError, ErrorType, NotFoundError } from '../../contract/errors';
import { scrub } from './scrub-error';

describe('scrub', () => {
  it('redacts every secret in the message and the details, keeping the type', () => {
    const err = new BackstopError(ErrorType.engine, 'borg: passphrase "s3cr\\et" wrong', { stderr: 'passphrase s3cr\\et', n: 1 });
    const out = scrub(err, ['s3cr\\et', '']);
    expect(out.message).toBe('borg: passphrase "[redacted]" wrong');
    expect(out.details).toEqual({ stderr: 'passphrase [redacted]', n: 1 });
    expect(out.type).toBe(ErrorType.engine);
  });

  it('returns the error itself when nothing is secret, and keeps a NotFoundError one', () => {
    const clean = new BackstopError(ErrorType.engine, 'no secret here');
    expect(scrub(clean, ['pw'])).toBe(clean);
    const missing = scrub(new NotFoundError('snapshot of pw not found'), ['pw']);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.message).toBe('snapshot of [redacted] not found');
  });
});
