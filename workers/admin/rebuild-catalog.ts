// `backstop admin rebuild-catalog`: for an operator who lost the catalog but kept the
// repositories and the master key. The repositories are registered again first (`repos
// create --no-init` with their passwords, which seals them under the master key); this then
// lists every registered repository's snapshots with its engine and writes them back, with
// the jobs their tags name (catalog/recovery.ts). Every repository is read before anything
// is written, so one that cannot be read leaves the catalog untouched.
import type { BackupEngine, RepositoryAccess } from '../../contract/engine';
import type { GuestSource } from '../../contract/guest';
import { readManifest } from '../../activities/shared/guest/guest-manifest';
import { BackstopError } from '../../contract/errors';
import type { Catalog } from '../../catalog/catalog';
import { openRepositoryAccess } from '../../catalog/repository-access';
import { writeRecovery, type RecoveryReport } from '../../catalog/recovery';
import { recoveredJobs, type FoundSnapshots } from '../../catalog/recovery-plan';
import type { SecretBox } from '../../core/secrets';

export async function rebuildCatalog(catalog: Catalog, secrets: SecretBox, engine: Pick<BackupEngine, 'listSnapshots' | 'dumpFile'>): Promise<RecoveryReport> {
  const found: FoundSnapshots[] = [];
  const access = new Map<number, RepositoryAccess>();
  for (const repo of await catalog.repositories.list()) {
    try {
      access.set(repo.id, await openRepositoryAccess(catalog, secrets, repo.id));
      found.push({ repositoryId: repo.id, snapshots: await engine.listSnapshots(access.get(repo.id)!) });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new BackstopError(err instanceof BackstopError ? err.type : 'InputError', `cannot list the snapshots of repository ${repo.id} (${repo.name}): ${why}; nothing was written`);
    }
  }
  // A guest job comes back as a guest job: what its guest was is in its newest snapshot's
  // manifest, read before the catalog transaction (which decides again which jobs it makes).
  const { rows } = await catalog.db.query<{ id: string }>('SELECT id FROM jobs');
  const guestSources = new Map<string, GuestSource>();
  for (const job of recoveredJobs(found, new Set(rows.map((r) => Number(r.id))))) {
    if (!job.guestStage) continue;
    const source = await manifestSource(engine, access.get(job.repositoryId)!, job.guestStage);
    if (source) guestSources.set(job.guestStage.snapshotId, source);
  }
  return writeRecovery(catalog, found, guestSources);
}

/** The guest a guest snapshot's manifest records, or null when it records none (older snapshots) or cannot be read. */
async function manifestSource(engine: Pick<BackupEngine, 'dumpFile'>, repo: RepositoryAccess, stage: { snapshotId: string; stageRoot: string }): Promise<GuestSource | null> {
  try {
    const s = (await readManifest(engine, repo, stage.snapshotId, stage.stageRoot)).source;
    return s && typeof s.qmpSocket === 'string' && Array.isArray(s.disks) && s.disks.length > 0 ? s : null;
  } catch {
    return null;
  }
}

/** The report as the operator reads it. */
export function describeRecovery(r: RecoveryReport): string[] {
  const lines = r.repositories.map((p) => `repository ${p.repositoryId}: ${p.listed} snapshots in the repository, ${p.added} added to the catalog`);
  for (const j of r.jobsCreated) {
    const source = j.guest ? `guest ${j.guest.disks.map((d) => `${d.name}=${d.node}`).join(' ')} at ${j.guest.qmpSocket}` : `paths ${j.paths.join(' ')}`;
    lines.push(`job ${j.id} recreated as "${j.name}" (agent ${j.agentName}, repository ${j.repositoryId}, ${source})`);
    if (j.note) lines.push(`  job ${j.id}: ${j.note}`);
  }
  if (r.agentsCreated.length > 0) lines.push(`agents named by the recreated jobs: ${r.agentsCreated.join(', ')} (they register when they start)`);
  if (r.repositories.length === 0) lines.push('no repositories are registered: register each one first (`repos create <name> --url <location> --no-init` with its password)');
  else if (r.jobsCreated.length === 0 && r.repositories.every((p) => p.added === 0)) lines.push('nothing to add: the catalog already has every snapshot');
  return lines;
}
