// Worker Versioning of the server worker (docs/runbooks/upgrade.md). With a build id
// (BACKSTOP_WORKER_BUILD_ID) the worker polls as one Worker Deployment Version: Temporal
// sends it new runs once the operator makes its version current, and keeps sending it the
// runs that started on it after a newer version became current, so a release whose
// workflows changed incompatibly is deployed while the old one finishes its runs.
// Without a build id nothing changes: the embedded stack and every test run unversioned.
import type { Client } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { WorkerVersion } from '../../core/config';

/**
 * The worker's deployment options, none when unversioned.
 *
 * The default behavior, PINNED, only applies to a workflow workflows/versioning.ts does not
 * name (each one there has its own). PINNED rather than AUTO_UPGRADE because the point of a
 * version is that a run never meets code it did not start with: under AUTO_UPGRADE a
 * forgotten patched() in a new release stops every run in flight on a nondeterminism error
 * (its workflow task retried, failing, until someone intervenes) the moment the release is
 * made current: the failure versioning is there to prevent. The cost of PINNED (the old version's workers stay up until its runs end) is
 * bounded for runs; the few workflows that never end choose AUTO_UPGRADE themselves.
 */
export function deploymentOptions(version: WorkerVersion | null): Pick<WorkerOptions, 'workerDeploymentOptions'> {
  if (!version) return {};
  return { workerDeploymentOptions: { useWorkerVersioning: true, version, defaultVersioningBehavior: 'PINNED' } };
}

/** What the deployment's routing means for this worker, in words for its log. */
export function routingNote(version: WorkerVersion, routing: { current?: string | null; ramping?: string | null }): { level: 'info' | 'warn'; message: string } {
  const mine = version.buildId;
  if (routing.current === mine) return { level: 'info', message: `build ${mine} is the current version of deployment ${version.deploymentName}: new runs come here` };
  if (routing.ramping === mine) return { level: 'info', message: `build ${mine} is ramping in deployment ${version.deploymentName}: some new runs come here` };
  const current = routing.current ? `build ${routing.current}` : 'no version (unversioned workers)';
  return {
    level: 'warn',
    message: `build ${mine} is not current in deployment ${version.deploymentName} (current: ${current}): this worker takes only runs already pinned to it until \`temporal worker deployment set-current-version --deployment-name ${version.deploymentName} --build-id ${mine}\``,
  };
}

/**
 * Logs once whether this version gets new runs: a versioned worker that is not current polls
 * without error and does nothing, which looks like a hang. Best effort: the deployment
 * exists only after some version of it has polled.
 */
export async function logRouting(client: Client, namespace: string, version: WorkerVersion, logger: Logger): Promise<void> {
  try {
    const { workerDeploymentInfo } = await client.workflowService.describeWorkerDeployment({ namespace, deploymentName: version.deploymentName });
    const routing = workerDeploymentInfo?.routingConfig;
    const note = routingNote(version, { current: routing?.currentDeploymentVersion?.buildId, ramping: routing?.rampingDeploymentVersion?.buildId });
    logger[note.level]({ deployment: version.deploymentName, buildId: version.buildId }, note.message);
  } catch (err) {
    logger.warn({ err, deployment: version.deploymentName, buildId: version.buildId }, `deployment ${version.deploymentName} not found yet: make build ${version.buildId} current once it polls (docs/runbooks/upgrade.md)`);
  }
}
