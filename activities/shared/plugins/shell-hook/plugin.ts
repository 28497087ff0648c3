// shell_hook: a pre script run before the backup (non-zero exit aborts the run) and a post
// script run after it whatever happened, with the run's status in the environment. Scripts
// may run as another user (runuser) in a working directory; a timeout kills their group.
import { BackstopError, ErrorType } from '../../../../contract/errors';
import { hookEnv, runHook } from '../../hooks/shell';
import { NO_CONTRIBUTION, reportOf, type BackstopPlugin, type PluginCheck, type PluginContext } from '../../../../contract/plugin-api';
import { checkDirectory, checkScript } from '../script-check';
import { shellCommand } from '../shell-quote';
import { parseShellHookConfig, SHELL_HOOK, shellHookArgv, type ShellHookConfig } from './config';

interface RunScript {
  phase: 'pre' | 'post';
  status: 'running' | 'succeeded' | 'failed' | 'dry-run';
  snapshotId?: string | null;
}

async function runScript(ctx: PluginContext, config: ShellHookConfig, script: string, run: RunScript): Promise<number | null> {
  const env = hookEnv({
    runId: ctx.runId,
    jobId: ctx.jobId,
    jobName: ctx.jobName,
    agent: ctx.agentName,
    phase: run.phase,
    status: run.status,
    runSuccess: run.phase === 'post' ? run.status === 'succeeded' : null,
    snapshotId: run.snapshotId ?? null,
    dryRun: run.status === 'dry-run' ? true : null,
  });
  const r = await runHook({
    command: shellCommand(shellHookArgv(script, config.runAsUser)),
    env,
    timeoutMs: config.timeoutSeconds * 1000,
    signal: ctx.signal,
    onLine: (stream, line) => ctx.log(stream, line),
    label: `shell_hook ${run.phase} script`,
    ...(config.workingDirectory ? { cwd: config.workingDirectory } : {}),
  });
  return r.exitCode;
}

export const shellHookPlugin: BackstopPlugin<ShellHookConfig> = {
  type: SHELL_HOOK,
  description: 'runs scripts on the agent before and after the backup',
  capabilities: { engines: ['restic'], restoreTargets: [] },
  secretFields: [],
  parseConfig: parseShellHookConfig,

  async backupInit(ctx, config) {
    if (!config.preScript) return;
    const code = await runScript(ctx, config, config.preScript, { phase: 'pre', status: 'running' });
    if (code !== 0) throw new BackstopError(ErrorType.hook, `shell_hook pre script ${config.preScript} exited with code ${code}: the backup is aborted`);
  },

  backup: async () => NO_CONTRIBUTION,

  async backupCleanup(ctx, config, outcome) {
    if (!config.postScript) return;
    const code = await runScript(ctx, config, config.postScript, { phase: 'post', status: outcome.success ? 'succeeded' : 'failed', snapshotId: outcome.snapshotId });
    if (code !== 0) throw new BackstopError(ErrorType.hook, `shell_hook post script ${config.postScript} exited with code ${code}`);
  },

  async test(ctx, config) {
    const checks: PluginCheck[] = [];
    if (config.workingDirectory) checks.push(await checkDirectory('working directory', config.workingDirectory));
    for (const [phase, script] of [['pre', config.preScript], ['post', config.postScript]] as const) {
      if (!script) continue;
      const present = await checkScript(`${phase} script`, script, config.runAsUser);
      checks.push(present);
      if (!present.ok || checks.some((c) => !c.ok)) continue;
      // Dry mode: the script sees BACKSTOP_DRY_RUN=true and should only check what it needs.
      const code = await runScript(ctx, config, script, { phase, status: 'dry-run' }).catch((e: Error) => e.message);
      checks.push({ name: `${phase} script dry run`, ok: code === 0, detail: typeof code === 'string' ? code : `exit code ${code}` });
    }
    return reportOf(checks);
  },
};
