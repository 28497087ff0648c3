import { parseS3Credentials, resticS3Env, serializeS3Credentials } from './s3';

describe('S3 credentials', () => {
  it('round-trips through the sealed JSON form', () => {
    const c = { accessKeyId: 'AK', secretAccessKey: 'SK', region: 'eu-west-1' };
    expect(parseS3Credentials(serializeS3Credentials(c))).toEqual(c);
    expect(parseS3Credentials(serializeS3Credentials({ accessKeyId: 'AK', secretAccessKey: 'SK' }))).toEqual({ accessKeyId: 'AK', secretAccessKey: 'SK', region: null });
  });

  it('rejects incomplete or malformed documents without echoing them', () => {
    expect(() => parseS3Credentials('{"accessKeyId":"AK"}')).toThrow('stored S3 credentials are incomplete');
    expect(() => parseS3Credentials('not json SK')).toThrow('stored S3 credentials are not valid JSON');
  });

  it('gives restic the AWS variables, with a default region', () => {
    expect(resticS3Env({ accessKeyId: 'AK', secretAccessKey: 'SK' })).toEqual({ AWS_ACCESS_KEY_ID: 'AK', AWS_SECRET_ACCESS_KEY: 'SK', AWS_DEFAULT_REGION: 'us-east-1' });
  });
});
