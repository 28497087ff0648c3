// Filesystem snapshot providers. A provider freezes the source paths before the engine
// reads them and releases them afterwards; `none` reads the live filesystem, the others
// live in filesystem.ts.
import { access } from 'node:fs/promises';
import { BackstopError, ErrorType, InputError } from '../../../contract/errors';
import type { SnapshotMode } from '../../../contract/model';
import type { SnapshotHandle } from '../../../contract/snapshot';

export interface SnapshotRequest {
  runId: string;
  /** The run's workflow, recorded with the snapshot so an orphan can be told from one in use. */
  workflowId: string;
  mode: SnapshotMode;
  paths: string[];
}

export interface SnapshotProvider {
  readonly modes: readonly SnapshotMode[];
  create(req: SnapshotRequest): Promise<SnapshotHandle>;
  /** Idempotent: releasing twice, or releasing what was never created, is fine. */
  release(handle: SnapshotHandle): Promise<void>;
}

export class NoSnapshotProvider implements SnapshotProvider {
  readonly modes = ['none'] as const;

  async create(req: SnapshotRequest): Promise<SnapshotHandle> {
    const missing: string[] = [];
    for (const p of req.paths) {
      if (!p.startsWith('/')) throw new InputError(`source path must be absolute: ${p}`);
      await access(p).catch(() => missing.push(p));
    }
    if (missing.length > 0) {
      throw new BackstopError(ErrorType.sourceMissing, `source path does not exist on the agent: ${missing.join(', ')}`);
    }
    return { mode: 'none', ref: `none:${req.runId}`, readPaths: req.paths, warnings: [] };
  }

  async release(): Promise<void> {
    // Nothing was frozen.
  }
}

export function providerFor(mode: SnapshotMode, providers: SnapshotProvider[]): SnapshotProvider {
  const p = providers.find((x) => x.modes.includes(mode));
  if (!p) throw new InputError(`snapshot mode ${mode} is not available on this agent`);
  return p;
}
