// How the API's validation errors map to form fields: a problem's `errors[].path`
// (`body/name`, `body/paths/0`) names the field; the rest goes above the form.
import { ProblemError, type Problem } from './problem';

export interface FormErrors {
  /** Field name → messages. */
  fields: Record<string, string[]>;
  /** What belongs to no field (the problem's detail, errors of the request as a whole). */
  general: string | null;
}

export const NO_ERRORS: FormErrors = { fields: {}, general: null };

/** The field of a validation error path: `body/paths/0` → `paths`. */
export function fieldOf(path: string | undefined): string | null {
  const m = /^body\/([^/]+)/.exec(path ?? '');
  return m ? m[1]! : null;
}

export function formErrors(problem: Problem): FormErrors {
  const fields: Record<string, string[]> = {};
  const loose: string[] = [];
  for (const e of problem.errors ?? []) {
    const f = fieldOf(e.path);
    if (f) (fields[f] ??= []).push(e.message ?? 'is invalid');
    else loose.push(`${e.path ?? ''} ${e.message ?? ''}`.trim());
  }
  const detail = problem.errors?.length ? null : (problem.detail ?? problem.title);
  return { fields, general: [detail, ...loose].filter(Boolean).join('; ') || null };
}

export function errorsOf(e: unknown): FormErrors {
  return e instanceof ProblemError ? formErrors(e.problem) : { fields: {}, general: String(e) };
}

/** Lines of a textarea, trimmed, blank ones dropped (paths, excludes). */
export const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
