// GuestJobCleanupWorkflow: what a deleted guest job leaves on its agent, taken away — its
// dirty bitmaps in the running guest (QEMU would otherwise track writes for a job that no
// longer exists, forever) and its stage and run directories under the agent's work root.
//
//   start (by DELETE /v1/jobs/{id}) ─▶ forgetGuestJob on the job's agent ─▶ done
//
// The agent may be down when the job is deleted: the step waits for it (a day, then the
// workflow fails, visibly, in the Web UI) and is repeatable, so retries are harmless.
import { proxyActivities } from '@temporalio/workflow';
import { agentTaskQueue } from '../contract/names';
import type { GuestAgentActivities, GuestForgetResult } from '../contract/guest-activities';
import type { GuestJobCleanupInput } from '../contract/workflows';

export async function guestJobCleanupWorkflow(input: GuestJobCleanupInput): Promise<GuestForgetResult> {
  const agent = proxyActivities<GuestAgentActivities>({
    taskQueue: agentTaskQueue(input.agentName),
    scheduleToStartTimeout: '1 day',
    startToCloseTimeout: '5 minutes',
    heartbeatTimeout: '1 minute',
    retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 20 },
  });
  return agent.forgetGuestJob({ jobId: input.jobId, guest: input.guest });
}
