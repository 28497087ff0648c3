// `backstop admin rebuild-catalog`: for an operator who lost the catalog but kept the
// repositories and the master key. The repositories are registered again first (`repos
// create --no-init` with their passwords, which seals them under the master key); this then
// lists every registered repository's snapshots with its engine and writes them back, with
// the jobs their tags name (catalog/recovery.ts). Every repository is read before anything
// is written, so one that cannot be read leaves the catalog untouched.
import type { BackupEngine } from '../../contract/engine';
import { BackstopError } from '../../contract/errors';
import type { Catalog } from '../../catalog/catalog';
import { openRepositoryAccess } from '../../catalog/repository-access';
import { writeRecovery, type RecoveryReport } from '../../catalog/recovery';
import type { FoundSnapshots } from '../../catalog/recovery-plan';
import type { SecretBox } from '../../core/secrets';

export async function rebuildCatalog(catalog: Catalog, secrets: SecretBox, engine: Pick<BackupEngine, 'listSnapshots'>): Promise<RecoveryReport> {
  const found: FoundSnapshots[] = [];
  for (const repo of await catalog.repositories.list()) {
    try {
      const access = await openRepositoryAccess(catalog, secrets, repo.id);
      found.push({ repositoryId: repo.id, snapshots: await engine.listSnapshots(access) });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new BackstopError(err instanceof BackstopError ? err.type : 'InputError', `cannot list the snapshots of repository ${repo.id} (${repo.name}): ${why}; nothing was written`);
    }
  }
  return writeRecovery(catalog, found);
}

/** The report as the operator reads it. */
export function describeRecovery(r: RecoveryReport): string[] {
  const lines = r.repositories.map((p) => `repository ${p.repositoryId}: ${p.listed} snapshots in the repository, ${p.added} added to the catalog`);
  for (const j of r.jobsCreated) lines.push(`job ${j.id} recreated as "${j.name}" (agent ${j.agentName}, repository ${j.repositoryId}, paths ${j.paths.join(' ')})`);
  if (r.agentsCreated.length > 0) lines.push(`agents named by the recreated jobs: ${r.agentsCreated.join(', ')} (they register when they start)`);
  if (r.repositories.length === 0) lines.push('no repositories are registered: register each one first (`repos create <name> --url <location> --no-init` with its password)');
  else if (r.jobsCreated.length === 0 && r.repositories.every((p) => p.added === 0)) lines.push('nothing to add: the catalog already has every snapshot');
  return lines;
}
