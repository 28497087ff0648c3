// The environment of a server script: every job field as BACKSTOP_<FIELD>, the run's ids,
// and for post scripts the outcome (BACKSTOP_RUN_SUCCESS, BACKSTOP_RUN_WARNINGS, …).
import { hookEnv } from '../shared/hooks/shell';
import type { BackupPlan, ScriptRunFields } from '../../contract/backup-activities';

export function serverScriptEnv(plan: BackupPlan, run: ScriptRunFields): Record<string, string> {
  return hookEnv({
    runId: run.runId,
    workflowId: run.workflowId,
    phase: run.phase,
    jobId: plan.jobId,
    jobName: plan.jobName,
    agent: plan.agentName,
    repository: plan.repository.name,
    repositoryId: plan.repository.id,
    repositoryUrl: plan.repository.url,
    paths: plan.paths,
    excludes: plan.excludes,
    snapshotMode: plan.snapshotMode,
    pluginConfigs: (plan.plugins ?? []).map((p) => `${p.name}:${p.plugin}`),
    runSuccess: run.outcome ? run.outcome.success : null,
    runStatus: run.outcome ? run.outcome.status : null,
    runWarnings: run.outcome ? run.outcome.warnings : null,
    snapshotId: run.outcome ? run.outcome.snapshotId : null,
  });
}
