// Runs of plugin configurations: a plugin test, and a database restore from a snapshot.
import { Workflows } from '../../contract/workflows';
import { InputError, NotFoundError } from '../../contract/errors';
import { dbRestoreWorkflowId, pluginTestWorkflowId } from '../../contract/names';
import { builtinRegistry } from '../../activities/shared/plugins/builtin';
import { idempotencyOf, startRun } from '../start-run';
import { findSnapshot } from './restore';
import { handler } from '../context';

const registry = builtinRegistry();

export const testPluginConfig = handler('testPluginConfig', async (ctx, { params }) => {
  const agentName = params.name;
  const config = await ctx.catalog.pluginConfigs.get(agentName, params.id);
  const started = await startRun(ctx, {
    run: { kind: 'plugin-test', agentName },
    workflowIdAt: (at) => pluginTestWorkflowId(agentName, config.id, at),
    workflow: Workflows.pluginTest,
    input: (runId) => ({ runId, agentName, configId: config.id, agentScheduleToStartMs: ctx.agentScheduleToStartMs }),
  });
  return { status: 202, body: { runId: started.runId, workflowId: started.workflowId, status: 'queued' } };
});

export const restoreDatabase = handler('restoreDatabase', async (ctx, { params, body: b }) => {
  const snapshot = await findSnapshot(ctx, params.id);
  const config = await ctx.catalog.pluginConfigs.get(b.agent, b.configId).catch((e: unknown) => {
    throw e instanceof NotFoundError ? new InputError(`plugin configuration ${b.configId} is not a configuration of agent "${b.agent}"`) : e;
  });
  // Databases, and pipes (whose writer receives the data with the target in its environment).
  const targets = registry.has(config.plugin) ? registry.get(config.plugin).capabilities.restoreTargets : [];
  if (registry.has(config.plugin) && !targets.includes('database') && !targets.includes('stream')) {
    throw new InputError(`plugin configuration ${config.id} is a ${config.plugin} configuration, which cannot restore a database or a stream`);
  }
  const started = await startRun(ctx, {
    idempotency: idempotencyOf(params, `restoreDatabase:${snapshot.id}`),
    // The row names the agent and the repository: that lets the agent fetch the repository password while it runs.
    run: { kind: 'db-restore', jobId: snapshot.jobId, repositoryId: snapshot.repositoryId, agentName: b.agent },
    workflowIdAt: (at) => dbRestoreWorkflowId(b.agent, at),
    workflow: Workflows.dbRestore,
    input: (runId) => ({
      runId,
      agentName: b.agent,
      configId: config.id,
      repositoryId: snapshot.repositoryId,
      snapshotId: snapshot.id,
      path: b.path,
      target: b.target,
      overwrite: b.overwrite ?? false,
      agentScheduleToStartMs: ctx.agentScheduleToStartMs,
      engineHeartbeatTimeoutMs: ctx.engineHeartbeatTimeoutMs,
    }),
  });
  return { status: 202, body: { runId: started.runId, workflowId: started.workflowId, status: 'queued' } };
});
