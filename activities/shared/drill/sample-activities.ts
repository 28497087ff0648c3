// A restore drill's sample (activities/shared: the chosen agent registers it, and so does the
// server worker, which restores the sample of a pull job, whose agent never holds the
// repository's password). One activity, in a scratch directory of its own:
//
//   list the snapshot (streamed) ─▶ pick the sample (sample.ts) ─▶ restore exactly those files
//   into <scratch>/<run id> (with the engine's verify) ─▶ compare each file ─▶ remove the scratch
//
// Each file is compared with what the snapshot records, never with the live source (which
// may have changed since): its size as listed, and its content as the engine reads it back
// from the repository a second, independent way (restic dump / borg extract --stdout, one
// file at a time, hashed as it streams). A file the restore skipped, cut short, filled with
// holes or wrote differently, or whose data the repository no longer holds intact (a missing
// or corrupt pack: the engine verifies every chunk against its recorded hash and refuses it),
// is a mismatch, named with the reason. The restore itself runs with the engine's verify,
// which reads the restored files back against the chunk hashes the snapshot records.
//
// The engine reads the repository as a new machine would: with an empty cache of the run's
// own (restic caches the snapshot's trees and the index; a warm cache would hide a tree pack
// the repository lost). The drill never writes outside its scratch directory and that cache:
// both are made fresh (a retried attempt starts clean), 0700, under the worker's own state
// directory, and removed whatever happens; the workflow's cleanup removes them again in case
// this process died holding them.
import { Context } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BackstopError, ErrorType } from '../../../contract/errors';
import { engineOf, type BackupEngine, type RepositoryAccess } from '../../../contract/engine';
import type { BackupProgress } from '../../../contract/model';
import type { DrillFileCheck, DrillFiles } from '../../../contract/drill';
import type { DrillSampleActivities, DrillSampleInput, DrillSampleResult } from '../../../contract/drill-activities';
import type { Logger } from '../../../core/logger';
import { withFailureMapping } from '../failure';
import { whileReportingProgress } from '../clock-heartbeat';
import { withRunLog, type RunLogSink, type RunLogTransport } from '../run-log-sink';
import { SampleCollector, directoryDumpOf, type PickedFile } from './sample';

export interface DrillSampleDeps {
  /** Where the sample is restored, as the evidence names it: the agent's name, or `server`. */
  site: string;
  /** The engine, with its cache in `cacheDir` (restic's cache; borg keeps its own state as usual). */
  engine: (cacheDir: string) => BackupEngine;
  /** The repository's secrets for this run: an agent asks the API, the server worker opens them itself. */
  repositoryAccess(repositoryId: number): Promise<Omit<RepositoryAccess, 'url'>>;
  /** Scratch directories are made here, one per run: <scratchRoot>/<run id>. */
  scratchRoot: string;
  logger: Logger;
  runLog?: RunLogTransport;
}

/** Files per restore: one engine process for the usual sample, argv bounded for a big one. */
const RESTORE_BATCH = 200;

/** The run's scratch directory and its engine cache; a run id is a uuid, anything else is refused rather than joined. */
export function scratchDirOf(root: string, runId: string): { scratch: string; cache: string } {
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,79}$/.test(runId)) throw new BackstopError(ErrorType.input, `not a run id: ${runId}`);
  return { scratch: join(root, runId), cache: join(root, `${runId}.cache`) };
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** sha256 and length of what `write` puts into the stream it is given. */
async function hashOf(write: (out: NodeJS.WritableStream) => Promise<void>): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done();
    },
  });
  await write(sink);
  return { sha256: hash.digest('hex'), bytes };
}

async function hashFile(path: string, signal: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(
    createReadStream(path),
    async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) hash.update(chunk);
    },
    { signal },
  );
  return hash.digest('hex');
}

/** Evidence of a sample that never got to pick a file. */
function emptyFiles(input: DrillSampleInput, started: number): DrillFiles {
  return {
    restoredOn: '',
    seed: input.sample.seed,
    candidates: 0,
    filesChecked: 0,
    bytesChecked: 0,
    mismatches: [],
    listError: null,
    restoreError: null,
    files: [],
    durationSeconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

export function createDrillSampleActivities(deps: DrillSampleDeps): DrillSampleActivities {
  const { logger } = deps;

  async function drillSampleFiles(input: DrillSampleInput): Promise<DrillSampleResult> {
    const ctx = Context.current();
    const signal = ctx.cancellationSignal;
    const started = Date.now();
    const { scratch, cache } = scratchDirOf(deps.scratchRoot, input.runId);
    const engine = deps.engine(cache);
    const repo: RepositoryAccess = { url: input.repository.url, ...(await deps.repositoryAccess(input.repository.id)) };
    const secrets = [repo.password, ...Object.values(repo.env ?? {})];
    const progress: BackupProgress = { percent: 0, filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0, currentFile: null, secondsElapsed: 0 };
    let phase = 'listing';
    const heartbeat = () => ({ phase, progress: { ...progress, secondsElapsed: (Date.now() - started) / 1000 } });

    return whileReportingProgress(heartbeat, () =>
      withRunLog(
        deps.runLog,
        logger,
        input.runId,
        'drill-files',
        async (log) => {
          await removeScratch(input.runId);
          await mkdir(scratch, { recursive: true, mode: 0o700 });
          await mkdir(cache, { recursive: true, mode: 0o700 });
          try {
            const collector = new SampleCollector(input.sample);
            const dumps: DrillSampleResult['dumps'] = [];
            try {
              await engine.walkSnapshot(
                repo,
                input.snapshot.id,
                (e) => {
                  if (e.type !== 'file') return;
                  collector.add({ path: e.path, size: e.size ?? 0, mtime: e.mtime });
                  const dump = directoryDumpOf(e.path, input.backupRunId);
                  if (dump) dumps.push({ configId: dump.configId, path: e.path });
                },
                { signal },
              );
            } catch (e) {
              if (signal.aborted || !(e instanceof BackstopError)) throw e;
              // The engine could not read the snapshot's trees back (after its own retries):
              // that is what the drill found, not a step to retry.
              log.line('stderr', `the snapshot's files cannot be listed: ${e.message}`);
              return { files: { ...emptyFiles(input, started), restoredOn: deps.site, listError: e.message }, dumps: [] };
            }
            const picked = collector.result();
            progress.filesTotal = picked.length;
            progress.bytesTotal = picked.reduce((n, p) => n + p.size, 0);
            log.line('stdout', `snapshot ${input.snapshot.id.slice(0, 8)}: ${collector.candidates} files; sample of ${picked.length} (${progress.bytesTotal} bytes, seed ${input.sample.seed}) restored into ${scratch}`);

            phase = 'restoring';
            const { restoreError, itemErrors } = await restoreSample(engine, repo, input, picked, scratch, signal, log);

            phase = 'comparing';
            const files: DrillFileCheck[] = [];
            for (const p of picked) {
              if (signal.aborted) throw new BackstopError(ErrorType.engine, 'drill cancelled');
              progress.currentFile = p.path;
              const check = await checkFile(engine, repo, input, p, scratch, itemErrors.get(p.path) ?? null, signal);
              files.push(check);
              progress.filesDone++;
              progress.bytesDone += p.size;
              progress.percent = progress.bytesTotal > 0 ? Math.round((progress.bytesDone / progress.bytesTotal) * 10_000) / 100 : 100;
              log.line(check.mismatch ? 'stderr' : 'stdout', check.mismatch ? `MISMATCH ${p.path}: ${check.mismatch}` : `ok ${p.path} (${p.size} bytes, sha256 ${check.sha256})`);
            }
            const mismatches = files.flatMap((f) => (f.mismatch ? [{ path: f.path, reason: f.mismatch }] : []));
            const evidence: DrillFiles = {
              restoredOn: deps.site,
              seed: input.sample.seed,
              candidates: collector.candidates,
              filesChecked: files.length,
              bytesChecked: files.reduce((n, f) => n + f.size, 0),
              mismatches,
              listError: null,
              restoreError,
              files,
              durationSeconds: Math.round((Date.now() - started) / 100) / 10,
            };
            logger.info({ runId: input.runId, files: files.length, mismatches: mismatches.length }, 'drill sample checked');
            return { files: evidence, dumps };
          } finally {
            await removeScratch(input.runId);
          }
        },
        secrets,
      ),
    );
  }

  /** Restores exactly the sampled files; what the engine says about each one it could not restore is kept for that file's verdict. */
  async function restoreSample(engine: BackupEngine, repo: RepositoryAccess, input: DrillSampleInput, picked: PickedFile[], scratch: string, signal: AbortSignal, log: RunLogSink) {
    const itemErrors = new Map<string, string>();
    let restoreError: string | null = null;
    for (let i = 0; i < picked.length; i += RESTORE_BATCH) {
      const paths = picked.slice(i, i + RESTORE_BATCH).map((p) => p.path);
      try {
        await engine.restore(
          repo,
          input.snapshot.id,
          scratch,
          { signal, onLog: (stream, line) => log.line(stream, line), onItemError: (item, why) => itemErrors.set(item, why) },
          { paths, verify: true },
        );
      } catch (e) {
        if (signal.aborted) throw e;
        // A damaged repository fails the restore; each file is still compared on its own,
        // which says which ones the damage reaches.
        restoreError ??= message(e);
        log.line('stderr', `restore: ${message(e)}`);
      }
    }
    return { restoreError, itemErrors };
  }

  async function checkFile(engine: BackupEngine, repo: RepositoryAccess, input: DrillSampleInput, p: PickedFile, scratch: string, itemError: string | null, signal: AbortSignal): Promise<DrillFileCheck> {
    const problems: string[] = [];
    if (itemError) problems.push(`the restore reported: ${itemError}`);
    let sha256: string | null = null;
    const restored = join(scratch, p.path);
    const st = await lstat(restored).catch(() => null);
    if (!st) problems.push('not restored');
    else if (!st.isFile()) problems.push('restored as something other than a regular file');
    else {
      if (st.size !== p.size) problems.push(`restored ${st.size} bytes where the snapshot records ${p.size}`);
      sha256 = await hashFile(restored, signal);
    }
    const engineName = engineOf(repo);
    let recorded: { sha256: string; bytes: number } | null = null;
    try {
      recorded = await hashOf((out) => engine.dumpFile(repo, input.snapshot.id, p.path, out, signal));
    } catch (e) {
      if (signal.aborted) throw e;
      problems.push(`${engineName} cannot read its content back from the repository: ${message(e)}`);
    }
    if (recorded && recorded.bytes !== p.size) problems.push(`${engineName} reads back ${recorded.bytes} bytes where the snapshot records ${p.size}`);
    if (recorded && sha256 && recorded.sha256 !== sha256) problems.push(`the restored content (sha256 ${sha256.slice(0, 12)}…) differs from what ${engineName} reads back from the snapshot (sha256 ${recorded.sha256.slice(0, 12)}…)`);
    return { path: p.path, size: p.size, picked: p.picked, sha256, mismatch: problems.length > 0 ? problems.join('; ') : null };
  }

  async function removeScratch(runId: string): Promise<void> {
    const { scratch, cache } = scratchDirOf(deps.scratchRoot, runId);
    await Promise.all([rm(scratch, { recursive: true, force: true }), rm(cache, { recursive: true, force: true })]);
  }

  async function removeDrillScratch(input: { runId: string }): Promise<void> {
    await removeScratch(input.runId);
  }

  // drillSampleFiles heartbeats its own progress (the API shows it); removal is quick.
  return withFailureMapping({ drillSampleFiles, removeDrillScratch });
}
