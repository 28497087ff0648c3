// Filesystem snapshot providers. A provider freezes the source paths before the engine
// reads them and releases them afterwards; `none` reads the live filesystem.
import { access } from 'node:fs/promises';
import { BackstopError, ErrorType, InputError } from '../../core/errors';
import type { SnapshotMode } from '../../core/model';

export interface SnapshotHandle {
  mode: SnapshotMode;
  /** Opaque to the workflow; carries what `release` needs (names contain the run id). */
  ref: string;
  /** Where the engine should read each source path. */
  readPaths: string[];
  warnings: string[];
}

export interface SnapshotProvider {
  readonly mode: SnapshotMode;
  create(req: { runId: string; paths: string[] }): Promise<SnapshotHandle>;
  /** Idempotent: releasing twice, or releasing what was never created, is fine. */
  release(handle: SnapshotHandle): Promise<void>;
}

export class NoSnapshotProvider implements SnapshotProvider {
  readonly mode = 'none' as const;

  async create(req: { runId: string; paths: string[] }): Promise<SnapshotHandle> {
    const missing: string[] = [];
    for (const p of req.paths) {
      if (!p.startsWith('/')) throw new InputError(`source path must be absolute: ${p}`);
      await access(p).catch(() => missing.push(p));
    }
    if (missing.length > 0) {
      throw new BackstopError(ErrorType.sourceMissing, `source path does not exist on the agent: ${missing.join(', ')}`);
    }
    return { mode: this.mode, ref: `none:${req.runId}`, readPaths: req.paths, warnings: [] };
  }

  async release(): Promise<void> {
    // Nothing was frozen.
  }
}

export function providerFor(mode: SnapshotMode, providers: SnapshotProvider[]): SnapshotProvider {
  const p = providers.find((x) => x.mode === mode);
  if (!p) throw new InputError(`snapshot mode ${mode} is not available on this agent`);
  return p;
}
