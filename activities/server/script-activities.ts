// Library scripts on the server worker, one activity call per script. A pre script's
// KEY=VALUE lines override a few fields of the run (overrides.ts); its non-zero exit aborts
// the backup. A post script sees the outcome; its failure is a warning, never a failure.
// A timeout kills the script's whole process group (activities/shared/process.ts).
import { Context } from '@temporalio/activity';
import { BackstopError, ErrorType } from '../../contract/errors';
import type { Logger } from '../../core/logger';
import type { Catalog } from '../../catalog/catalog';
import { runHook, type HookLimits } from '../shared/hooks/shell';
import { withRunLog, type RunLogTransport } from '../shared/run-log-sink';
import { withFailureMapping } from '../shared/failure';
import { whileHeartbeating } from '../shared/clock-heartbeat';
import { NO_OVERRIDES, parseScriptOutput } from '../../contract/run-overrides';
import { serverScriptEnv } from './script-env';
import type { ServerScriptInput, ServerScriptResult, ServerScriptActivities } from '../../contract/backup-activities';

export interface ServerScriptDeps {
  catalog: Catalog;
  logger: Logger;
  runLog?: RunLogTransport;
  hookLimits?: HookLimits;
}

const HEARTBEAT_EVERY_MS = 5_000;

export function createServerScriptActivities(deps: ServerScriptDeps): ServerScriptActivities {
  async function runServerScript(input: ServerScriptInput): Promise<ServerScriptResult> {
    const script = await deps.catalog.scripts.get(input.scriptId);
    const step = input.phase === 'pre' ? 'server-pre-scripts' : 'server-post-scripts';
    const stdout: string[] = [];
    return whileHeartbeating(() => withRunLog(deps.runLog, deps.logger, input.runId, step, async (runLog) => {
      runLog.line('stdout', `${input.phase} script "${script.name}" (${script.id})`);
      const r = await runHook({
        command: script.body,
        env: serverScriptEnv(input.plan, input),
        timeoutMs: script.timeoutSeconds * 1000,
        signal: Context.current().cancellationSignal,
        onLine: (stream, line) => {
          if (stream === 'stdout') stdout.push(line);
          runLog.line(stream, line);
        },
        label: `${input.phase} script "${script.name}"`,
        ...deps.hookLimits,
      });
      if (input.phase === 'post') return { exitCode: r.exitCode, overrides: NO_OVERRIDES, warnings: [] };
      if (r.exitCode !== 0) {
        const tail = r.output.slice(-3).join('; ');
        throw new BackstopError(ErrorType.hook, `pre script "${script.name}" exited with code ${r.exitCode}${tail ? `: ${tail}` : ''}`);
      }
      const parsed = parseScriptOutput(stdout);
      for (const w of parsed.warnings) runLog.line('stderr', `warning: ${w}`);
      return { exitCode: r.exitCode, overrides: parsed.overrides, warnings: parsed.warnings };
    }), HEARTBEAT_EVERY_MS);
  }

  return withFailureMapping({ runServerScript });
}

