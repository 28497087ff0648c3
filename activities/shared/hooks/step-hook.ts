// A hook or script run as one step of a run, the way every activity runs one: its lines go
// to the run log under that step, the activity's cancellation stops it, and the worker's
// stall timeout and kill grace apply.
import { Context } from '@temporalio/activity';
import type { Logger } from '../../../core/logger';
import type { RunStep } from '../../../contract/run-log';
import { withRunLog, type RunLogTransport } from '../run-log-sink';
import { runHook, type HookLimits } from './shell';
import type { HookResult } from '../../../contract/backup-activities';

export interface StepHookDeps {
  runLog?: RunLogTransport;
  logger: Logger;
  hookLimits?: HookLimits;
}

export interface StepHook {
  runId: string;
  step: RunStep;
  command: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** How errors name it: `post hook`, `pre script`, … */
  label: string;
}

export function runStepHook(deps: StepHookDeps, hook: StepHook): Promise<HookResult> {
  return withRunLog(deps.runLog, deps.logger, hook.runId, hook.step, (runLog) =>
    runHook({
      command: hook.command,
      env: hook.env,
      timeoutMs: hook.timeoutMs,
      signal: Context.current().cancellationSignal,
      onLine: (stream, line) => runLog.line(stream, line),
      label: hook.label,
      ...deps.hookLimits,
    }),
  );
}
