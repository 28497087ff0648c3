// Container jobs (issue 19 item 3): a system container's root filesystem and configuration,
// backed up by the files backup pipeline (workflows/backup.ts) over paths its agent finds at
// each run. Types the API, the workflows and the agent share; workflows import this module:
// no Node APIs here.
import type { components } from './generated/api-schema';
import { InputError } from './errors';

/** What a container job names (openapi ContainerSource). */
export type ContainerSource = components['schemas']['ContainerSource'];
export type ContainerRuntime = ContainerSource['runtime'];

/** How a container snapshot is restored: the root filesystem as a tree, or as one tar file. */
export type ContainerRestoreFormat = components['schemas']['ContainerRestoreRequest']['format'];

/** Tag on a container job's snapshots: `backstop-container=<name>`, so the repository alone says what it holds. */
export const CONTAINER_TAG_PREFIX = 'backstop-container=';
export const containerTag = (name: string): string => `${CONTAINER_TAG_PREFIX}${name}`;

const fieldError = (path: string, message: string) => new InputError(`${path.replace(/^\//, '').replace(/\//g, '.')}: ${message}`, { errors: [{ path, message }] });

/**
 * Refuses a container source the schema lets through but a job cannot have: LXC finds its
 * own root filesystem and configuration (naming them is refused, not ignored), a directory
 * container needs its root filesystem, which may not be `/` (the agent itself).
 */
export function checkContainerSource(c: ContainerSource): void {
  if (c.runtime === 'lxc') {
    if (c.rootfs !== undefined) throw fieldError('/container/rootfs', 'an LXC container\'s root filesystem is read from its configuration (lxc.rootfs.path); name none');
    if (c.config !== undefined) throw fieldError('/container/config', 'an LXC container\'s configuration is /var/lib/lxc/<name>/config; name none');
    return;
  }
  if (c.rootfs === undefined) throw fieldError('/container/rootfs', 'a directory container needs its root filesystem directory');
  if (normalize(c.rootfs) === '/') throw fieldError('/container/rootfs', 'a container\'s root filesystem cannot be / itself');
  if (c.config !== undefined && isUnder(normalize(c.config), normalize(c.rootfs))) throw fieldError('/container/config', 'the configuration file is inside the root filesystem: it is backed up with it already');
}

/**
 * Refuses an edit of a container job that sets what its container decides: its paths and
 * excludes (the agent finds the paths at each run). Name, agent, snapshot mode and hooks
 * change as any job's; its container is not edited.
 */
export function checkContainerJobUpdate(b: { paths?: readonly string[]; excludes?: readonly string[]; mode?: string }): void {
  if (b.paths !== undefined) throw fieldError('/paths', 'a container job takes no paths: its source is its container');
  if (b.excludes !== undefined) throw fieldError('/excludes', 'a container job takes no excludes: its whole root filesystem is stored');
  if (b.mode !== undefined && b.mode !== 'push') throw fieldError('/mode', 'a container job runs in push mode only');
}

const normalize = (p: string): string => {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return `/${parts.join('/')}`;
};
const isUnder = (p: string, dir: string) => p === dir || p.startsWith(dir === '/' ? '/' : `${dir}/`);

// --- the plan of one run (the agent's resolveContainer) -----------------------------------

/** What the agent found a container to be at the start of a run. */
export interface ContainerPlan {
  runtime: ContainerRuntime;
  name: string;
  /** The root filesystem directory, absolute. */
  rootfs: string;
  /** The directory the configuration files are stored relative to (LXC: `/var/lib/lxc/<name>`); null when there are none. */
  configRoot: string | null;
  /** The configuration files, absolute, each inside configRoot. */
  configFiles: string[];
  /** Running (LXC `lxc-info -s` RUNNING or FROZEN): a filesystem snapshot of it is taken frozen. */
  running: boolean;
}

/** The paths a container run backs up: its root filesystem, then its configuration files. */
export function containerBackupPaths(plan: ContainerPlan): string[] {
  return [plan.rootfs, ...plan.configFiles];
}

/** The run's `details.container` of a container backup, which its restores read. */
export type ContainerRunDetails = {
  container: {
    runtime: ContainerRuntime;
    name: string;
    rootfs: string;
    configRoot: string | null;
    configFiles: string[];
    /** Whether the container was frozen while its filesystem snapshot was taken. */
    frozen: boolean;
  };
};

/** The container details of a backup run's details, or null for any other run. */
export function containerDetailsOf(details: Record<string, unknown> | null | undefined): ContainerRunDetails['container'] | null {
  const c = (details as Partial<ContainerRunDetails> | null | undefined)?.container;
  if (!c || typeof c.rootfs !== 'string' || !Array.isArray(c.configFiles)) return null;
  return c;
}

/** Where each configuration file goes under a restore's `config/`: its path relative to configRoot. */
export function configRestorePath(configRoot: string | null, file: string): string {
  const root = configRoot === null ? null : normalize(configRoot);
  const f = normalize(file);
  if (root !== null && isUnder(f, root) && f !== root) return f.slice(root === '/' ? 1 : root.length + 1);
  return f.slice(f.lastIndexOf('/') + 1);
}
