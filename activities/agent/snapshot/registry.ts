// What this agent has frozen and not yet released, one file per run under its state
// directory. An entry is written before the first snapshot is made and removed after the
// last is released, so a snapshot left by a crash is always known here — and released when
// the agent starts, once its run has ended (see FilesystemSnapshotProvider.releaseOrphans).
import { mkdirSync } from 'node:fs';
import { readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FrozenVolume } from '../../../contract/snapshot';

export interface SnapshotRecord {
  runId: string;
  /** The run's workflow: while it runs, its snapshot is in use (a resumed backup reads it). */
  workflowId: string;
  volumes: FrozenVolume[];
  createdAt: string;
}

export class SnapshotRegistry {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private file(runId: string): string {
    if (!/^[A-Za-z0-9-]+$/.test(runId)) throw new Error(`bad run id ${runId}`);
    return join(this.dir, `${runId}.json`);
  }

  async record(entry: SnapshotRecord): Promise<void> {
    const file = this.file(entry.runId);
    await writeFile(`${file}.tmp`, JSON.stringify(entry), { mode: 0o600, flush: true });
    await rename(`${file}.tmp`, file);
  }

  async forget(runId: string): Promise<void> {
    await rm(this.file(runId), { force: true });
  }

  async list(): Promise<SnapshotRecord[]> {
    const out: SnapshotRecord[] = [];
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith('.json')) continue;
      const text = await readFile(join(this.dir, name), 'utf8').catch(() => null);
      if (text) out.push(JSON.parse(text) as SnapshotRecord);
    }
    return out;
  }
}
