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

/** `borg 1.2.4` → `1.2.4`. */
export function parseBorgVersion(output: string): string | null {
  return /^borg (\d+\.\d+\.\d+\S*)/m.exec(output)?.[1] ?? null;
}

/** `client version: 3.2.7` (proxmox-backup-client version) → `3.2.7`. */
export function parsePbsClientVersion(output: string): string | null {
  return /client version:\s*(\d+\.\d+\.\d+\S*)/m.exec(output)?.[1] ?? null;
}

/** The output of `binary args`, or null when it cannot run. */
async function versionOutput(binary: string, args: string[]): Promise<string | null> {
  return promisify(execFile)(binary, args, { timeout: 10_000 }).then(
    (r) => `${r.stdout}${r.stderr}`,
    () => null,
  );
}

export async function detectCapabilities(
  resticBinary = 'restic',
  path = process.env.PATH ?? '',
  others: { borg: string; pbs: string } = { borg: 'borg', pbs: 'proxmox-backup-client' },
): Promise<AgentCapabilities> {
  const engines: AgentCapabilities['engines'] = [];
  const restic = await versionOutput(resticBinary, ['version']);
  if (restic !== null) engines.push({ name: 'restic', version: parseResticVersion(restic) });
  // Engines of borg and PBS repositories (issue 14); an agent without them is told so by the API.
  const borg = await versionOutput(others.borg, ['--version']);
  if (borg !== null) engines.push({ name: 'borg', version: parseBorgVersion(borg) });
  const pbs = await versionOutput(others.pbs, ['version']);
  if (pbs !== null) engines.push({ name: 'pbs', version: parsePbsClientVersion(pbs) });
  const snapshotProviders = (Object.keys(SNAPSHOT_TOOLS) as (keyof typeof SNAPSHOT_TOOLS)[]).filter((p) => findOnPath(SNAPSHOT_TOOLS[p], path) !== null);
  const plugins = PLUGIN_TOOLS.filter((t) => findOnPath(t, path) !== null);
  return { engines, snapshotProviders, plugins: [...plugins] };
}
