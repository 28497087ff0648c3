import { REDACTED, redact } from './redact';

describe('redact', () => {
  it('replaces every occurrence of a known secret', () => {
    expect(redact('pw hunter2-long and again hunter2-long.', ['hunter2-long'])).toBe(`pw ${REDACTED} and again ${REDACTED}.`);
  });

  it('replaces the longest secret first when one contains another', () => {
    expect(redact('key abcdef', ['abc', 'abcdef'])).toBe(`key ${REDACTED}`);
  });

  it('ignores empty secrets and leaves ordinary lines alone', () => {
    expect(redact('snapshot 1a2b3c saved', ['', ''])).toBe('snapshot 1a2b3c saved');
    expect(redact('processed 60 files, 1.2 MiB in 0:01', [])).toBe('processed 60 files, 1.2 MiB in 0:01');
  });

  it.each([
    ['password=s3cr3t', `password=${REDACTED}`],
    ['RESTIC_PASSWORD=abc def', `RESTIC_PASSWORD=${REDACTED} def`],
    ['export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG', `export AWS_SECRET_ACCESS_KEY=${REDACTED}`],
    ['AWS_ACCESS_KEY_ID=AKIAIOSFODNN7', `AWS_ACCESS_KEY_ID=${REDACTED}`],
    ['db password: "x y z"', `db password: "${REDACTED}"`],
    ['{"api_key": "k-123", "n": 1}', `{"api_key": "${REDACTED}", "n": 1}`],
    ['Authorization: Bearer bst_abcdefghijklmnop', `Authorization: Bearer ${REDACTED}`],
    ['curl -H "authorization: basic dXNlcjpwYXNzd29yZA=="', `curl -H "authorization: basic ${REDACTED}"`],
    ['remote s3://alice:topsecret@host/bucket', `remote s3://alice:${REDACTED}@host/bucket`],
    ['token=abc&next=1', `token=${REDACTED}&next=1`],
  ])('redacts the generic pattern in %s', (line, expected) => {
    expect(redact(line, [])).toBe(expected);
  });

  it('does not double-redact a value already replaced by a known secret', () => {
    expect(redact('password=hunter2', ['hunter2'])).toBe(`password=${REDACTED}`);
  });
});
