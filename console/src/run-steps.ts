// The steps of a run, in order, for its timeline.
import type { components } from '../../contract/generated/api-schema';

type LogLine = components['schemas']['RunLogLine'];

/** Steps in order: those the workflow reported while it ran, then any the log names. */
export function timeline(seen: readonly string[], current: string | null, log: readonly LogLine[]): string[] {
  const steps = [...seen];
  for (const s of [...(current ? [current] : []), ...log.map((l) => l.step)]) if (!steps.includes(s)) steps.push(s);
  return steps;
}

/**
 * Steps seen so far, with what the workflow reports now (its done steps and current one)
 * added in order: once the run ends it reports nothing, and the page still shows them.
 */
export function mergeSteps(seen: readonly string[], reported: readonly string[]): string[] {
  const out = [...seen];
  for (const s of reported) if (!out.includes(s)) out.push(s);
  return out.length === seen.length ? (seen as string[]) : out;
}
