// PluginTestWorkflow: checks one plugin configuration on its agent (connect, a small dump,
// scripts present and executable, a dry run) and records what worked and what did not.
// Any failed check makes a failed run whose reason names the checks, never a stack trace.
//
//   start ─▶ testPluginConfig (agent) ─▶ record (always)
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { PluginTestReport } from '../contract/plugin-api';
import { SERVER_TASK_QUEUE } from '../contract/names';
import { agentStepOptions } from './agent-options';
import { fillRunAttributes } from './run-visibility';
import { runEnvelope } from './run-envelope';
import type { PluginActivities, PluginRunActivities } from '../contract/plugin-activities';
import type { PluginTestWorkflowInput, PluginTestWorkflowResult } from '../contract/workflows';

const server = proxyActivities<PluginRunActivities>({
  taskQueue: SERVER_TASK_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20 },
});

/** `connect: pg_dump: authentication failed (…)`; the failed checks, in words. */
export function testFailureReason(report: PluginTestReport): string {
  return report.checks
    .filter((c) => !c.ok)
    .map((c) => `${c.name}: ${c.detail}`)
    .join('; ');
}

export async function pluginTestWorkflow(input: PluginTestWorkflowInput): Promise<PluginTestWorkflowResult> {
  const { workflowId } = workflowInfo();
  // A test is cheap and has no side effects worth protecting: one attempt, then the reason.
  const agent = proxyActivities<PluginActivities>({ ...agentStepOptions(input.agentName, input), retry: { maximumAttempts: 1 } });

  const run = await runEnvelope({
    where: input.agentName,
    cancelledReason: 'error',
    // The report is the result, also of a failed test: the workflow itself never fails.
    rethrow: false,

    body: async (_plan: undefined, { step }) => {
      fillRunAttributes({ kind: 'plugin-test', agentName: input.agentName });
      await server.startPluginRun({ runId: input.runId, workflowId, kind: 'plugin-test', agentName: input.agentName });
      step('plugin-test');
      return agent.testPluginConfig({ runId: input.runId, workflowId, configId: input.configId });
    },

    judge: (report) => (report.ok ? 'succeeded' : { status: 'failed', reason: testFailureReason(report) }),

    finish: async (_plan, { status, reason, result: report }) => {
      await server.finishPluginRun({ runId: input.runId, status, warnings: [], failureReason: reason, details: report ? { configId: input.configId, checks: report.checks } : { configId: input.configId } });
    },
  });

  return { status: run.status, report: run.result ?? null, failureReason: run.reason };
}
