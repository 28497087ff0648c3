// The problem+json error of an API call that must fail: fails the test if the call succeeds
// or fails with anything other than an API error.
import { ApiError } from '../../core/api-client';

export async function problemOf(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}
