// What an agent can do on its machine, found once at start: engines with their versions,
// snapshot providers whose tools are installed, and database dump tools ("plugins").
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AgentCapabilities } from '../../../contract/model';

/** The tool each snapshot provider needs (activities/shared/snapshot-commands.ts runs these). */
export const SNAPSHOT_TOOLS = { btrfs: 'btrfs', lvm: 'lvcreate', zfs: 'zfs' } as const;
/** Database dump tools reported as plugins when present. */
export const PLUGIN_TOOLS = ['pg_dump', 'mysqldump', 'mariadb-dump', 'mongodump'] as const;

export function findOnPath(tool: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(':').filter((d) => d !== '')) {
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return join(dir, tool);
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** `restic 0.18.1 compiled with go1.24.1 on linux/amd64` → `0.18.1`. */
export function parseResticVersion(output: string): string | null {
  return /^restic (\d+\.\d+\.\d+\S*)/m.exec(output)?.[1] ?? null;
}

export async function detectCapabilities(resticBinary = 'restic', path = process.env.PATH ?? ''): Promise<AgentCapabilities> {
  const engines: AgentCapabilities['engines'] = [];
  const restic = await promisify(execFile)(resticBinary, ['version'], { timeout: 10_000 }).then(
    (r) => r.stdout,
    () => null,
  );
  if (restic !== null) engines.push({ name: 'restic', version: parseResticVersion(restic) });
  const snapshotProviders = (Object.keys(SNAPSHOT_TOOLS) as (keyof typeof SNAPSHOT_TOOLS)[]).filter((p) => findOnPath(SNAPSHOT_TOOLS[p], path) !== null);
  const plugins = PLUGIN_TOOLS.filter((t) => findOnPath(t, path) !== null);
  return { engines, snapshotProviders, plugins: [...plugins] };
}
