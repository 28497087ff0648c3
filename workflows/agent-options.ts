// Activity options for steps on an agent's own task queue (agent.<name>), shared by every
// workflow that sends work to an agent. Only that agent's worker polls the queue, so a dead
// agent must fail the step in bounded time (schedule-to-start), not leave the run waiting.
import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';
import { agentTaskQueue } from '../contract/names';
import type { AgentStepTimeouts } from '../contract/workflows';

const DEFAULT_SCHEDULE_TO_START_MS = 5 * 60_000;
const DEFAULT_HEARTBEAT_TIMEOUT_MS = 30_000;

/**
 * Short agent steps: snapshots, checks, hooks. The heartbeat timeout is what retries a step
 * whose task Temporal lost on the way to the agent (delivery is at most once per attempt);
 * without it such a step would wait out its whole start-to-close timeout.
 */
export function agentStepOptions(agentName: string, t: AgentStepTimeouts, nonRetryableErrorTypes?: string[]): ActivityOptions {
  return {
    taskQueue: agentTaskQueue(agentName),
    scheduleToStartTimeout: t.agentScheduleToStartMs ?? DEFAULT_SCHEDULE_TO_START_MS,
    startToCloseTimeout: '15 minutes',
    heartbeatTimeout: t.engineHeartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
    retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5, ...(nonRetryableErrorTypes ? { nonRetryableErrorTypes } : {}) },
  };
}

/**
 * Engine runs (backup, restore): long, heartbeating, and cancelled only once the engine has
 * stopped, so cleanup never starts while restic still holds the repository or the target.
 */
export function agentEngineOptions(agentName: string, t: AgentStepTimeouts): ActivityOptions {
  return { ...engineOptions(agentTaskQueue(agentName), t), scheduleToStartTimeout: t.agentScheduleToStartMs ?? DEFAULT_SCHEDULE_TO_START_MS };
}

/** An engine run on any queue (pull mode's runs on the server worker's): as agentEngineOptions, without the wait for one agent. */
export function engineOptions(taskQueue: string, t: AgentStepTimeouts): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: '24 hours',
    heartbeatTimeout: t.engineHeartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 5 },
  };
}
