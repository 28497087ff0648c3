// DrillWorkflow: a restore drill of one job (issue 17) — proof that its latest backup comes
// back intact, recorded as a run of kind `drill` with its evidence.
//
//   prepare (server: plan, run row) ─▶ repository lock (restic shared, borg exclusive)
//     ─▶ drill-check      server   the engine's check with a bounded read of data
//     ─▶ drill-files      agent*   sample restored into a scratch directory, each file compared
//     ─▶ drill-databases  agent    each dump into a scratch database, probed, dropped
//   ─▶ lock released ─▶ drill-cleanup (scratch directory and databases, always) ─▶ record ─▶ notify
//
//   * the chosen agent (the job's own by default), or the server worker for a pull job,
//     whose agent never holds the repository's password.
//
// Findings are evidence, not errors: damage the check reports, a file that does not come back
// intact, a dump that does not restore — each is recorded, the drill goes on to the next
// step (so the evidence shows what the damage reaches), and the verdict (contract/drill.ts)
// fails the run naming them. Only a step that cannot run (an agent away, the catalog down)
// fails by throwing, after its retries. The cleanup runs in the envelope's non-cancellable
// finish, after every step has stopped (engine steps wait for their cancellation to
// complete), so a failed or cancelled drill leaves no scratch space behind.
import { proxyActivities, uuid4, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import { SERVER_TASK_QUEUE } from '../contract/names';
import { drillScratchDatabase, drillVerdict, type DrillEvidence } from '../contract/drill';
import type { DrillDatabaseActivities, DrillDumpRef, DrillPlan, DrillSampleActivities, DrillServerActivities } from '../contract/drill-activities';
import type { DrillWorkflowInput, DrillWorkflowResult } from '../contract/workflows';
import type { RunStatus } from '../contract/model';
import { agentEngineOptions, agentStepOptions, engineOptions } from './agent-options';
import { failureReason } from './failure-reason';
import { withRepositoryLock } from './with-repository-lock';
import { fillRunAttributes } from './run-visibility';
import { runEnvelope } from './run-envelope';

const server = proxyActivities<DrillServerActivities>({
  taskQueue: SERVER_TASK_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20 },
});

/** Attempts of the check: an I/O hiccup gets another chance; damage is a result, not a failure. */
export const DRILL_CHECK_MAX_ATTEMPTS = 3;

/** Where each part of the drill runs, from the plan. */
function stepsOf(plan: DrillPlan, input: DrillWorkflowInput) {
  const onServer = plan.sample.site === 'server';
  const sampleEngine: ActivityOptions = onServer ? engineOptions(SERVER_TASK_QUEUE, input) : agentEngineOptions(plan.sample.agentName, input);
  // Cleanup steps are short; on an agent they wait for it a bounded time, then the run records a warning.
  const sampleCleanup: ActivityOptions = onServer
    ? { taskQueue: SERVER_TASK_QUEUE, startToCloseTimeout: '5 minutes', retry: { maximumAttempts: 5 } }
    : agentStepOptions(plan.sample.agentName, input);
  return {
    check: proxyActivities<DrillServerActivities>({ ...engineOptions(SERVER_TASK_QUEUE, input), retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: DRILL_CHECK_MAX_ATTEMPTS } }),
    sample: proxyActivities<DrillSampleActivities>(sampleEngine),
    sampleCleanup: proxyActivities<DrillSampleActivities>(sampleCleanup),
    // Databases: on the job's own agent, whose plugin configurations reach the database servers.
    databases: proxyActivities<DrillDatabaseActivities>(agentEngineOptions(plan.job.agentName, input)),
    databaseCleanup: proxyActivities<DrillDatabaseActivities>(agentStepOptions(plan.job.agentName, input)),
  };
}

export async function drillWorkflow(started: DrillWorkflowInput): Promise<DrillWorkflowResult> {
  const input = { ...started, runId: started.runId ?? uuid4() };
  const { runId } = input;
  const { workflowId } = workflowInfo();
  const evidence: DrillEvidence = { snapshot: null, integrity: null, files: null, databases: [], durationSeconds: null };
  // What the body got to, for the cleanup.
  let sampleStarted = false;
  const scratchDatabases: Array<{ configId: number; name: string }> = [];
  let bodyStartedAt = Date.now();

  const run = await runEnvelope({
    where: (plan: DrillPlan) => (plan.sample.site === 'server' ? 'server' : plan.sample.agentName),

    prepare: async () => {
      const plan = await server.prepareDrill({ runId, workflowId, jobId: input.jobId, agentName: input.agentName ?? null });
      fillRunAttributes({ kind: 'drill', jobId: plan.job.id, agentName: plan.sample.agentName, repositoryId: plan.repository.id });
      return plan;
    },

    body: async (plan, { step }) => {
      // Workflow time: deterministic on replay.
      bodyStartedAt = Date.now();
      const snapshot = plan.snapshot;
      // Nothing to drill yet: the verdict says so.
      if (!snapshot) return;
      evidence.snapshot = { id: snapshot.id, time: snapshot.time, paths: snapshot.paths };
      const steps = stepsOf(plan, input);
      const repository = { id: plan.repository.id, url: plan.repository.url };
      await withRepositoryLock(
        plan.repository.id,
        plan.lockMode,
        async () => {
          step('drill-check');
          evidence.integrity = await steps.check.checkDrillRepository({
            runId,
            repositoryId: plan.repository.id,
            readDataPercent: plan.settings.readDataPercent,
            verifyArchives: plan.settings.verifyArchives,
          });

          step('drill-files');
          sampleStarted = true;
          const sample = await steps.sample.drillSampleFiles({
            runId,
            workflowId,
            repository,
            snapshot: { id: snapshot.id, paths: snapshot.paths },
            backupRunId: snapshot.backupRunId,
            sample: { files: plan.settings.sampleFiles, bytes: plan.settings.sampleBytes, newest: plan.settings.newestFiles, seed: runId },
          });
          evidence.files = sample.files;

          const dumps: DrillDumpRef[] = [...plan.streams, ...sample.dumps.map((d) => ({ configId: d.configId, snapshotId: snapshot.id, path: d.path }))];
          if (dumps.length > 0) step('drill-databases');
          for (const [i, dump] of dumps.entries()) {
            const name = drillScratchDatabase(runId, i);
            scratchDatabases.push({ configId: dump.configId, name });
            evidence.databases.push(
              await steps.databases.drillDatabase({ runId, workflowId, repository, dump, scratchDatabase: name, probe: plan.settings.probes[String(dump.configId)] ?? null }),
            );
          }
        },
        { onWaiting: () => step('waiting-for-lock') },
      );
    },

    judge: () => drillVerdict(evidence),

    finish: async (plan, { status, reason }, { step, warnings }): Promise<RunStatus> => {
      step('drill-cleanup');
      const steps = stepsOf(plan, input);
      // The steps remove their own scratch space; these remove what a step that died (or was
      // cancelled mid-way) may have left. Both are harmless when nothing is left.
      if (sampleStarted) {
        await steps.sampleCleanup.removeDrillScratch({ runId }).catch((e: unknown) => warnings.push(`scratch directory not removed: ${failureReason(e, plan.sample.agentName)}`));
      }
      if (scratchDatabases.length > 0) {
        const dropped = await steps.databaseCleanup.dropDrillDatabases({ runId, databases: scratchDatabases }).catch((e: unknown) => ({ warnings: [`scratch databases not dropped: ${failureReason(e, plan.job.agentName)}`] }));
        warnings.push(...dropped.warnings);
      }
      evidence.durationSeconds = Math.round((Date.now() - bodyStartedAt) / 100) / 10;
      // A passing drill whose scratch space could not be removed passed, with a warning to act on.
      const finalStatus: RunStatus = status === 'succeeded' && warnings.length > 0 ? 'warning' : status;
      step('record');
      await server.finishDrill({ runId, status: finalStatus, warnings, failureReason: reason, snapshotId: plan.snapshot?.id ?? null, details: evidence });
      return finalStatus;
    },
  });

  return { status: run.status, evidence, failureReason: run.reason };
}
