// Fake activities for the workflow tests, checked against the interfaces the workflows proxy:
// a fake whose name, parameters or result no longer match the real activity fails the
// typecheck, so a test cannot go on passing against an activity that changed.
export type Fakes<T> = { [K in keyof T]?: T[K] };

export function fakes<T>(impl: Fakes<T>): Fakes<T> {
  return impl;
}
