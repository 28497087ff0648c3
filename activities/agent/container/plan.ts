// Where a container's backup reads from, found at the start of each run (the agent's
// resolveContainer): its root filesystem and its configuration files, and whether it runs.
// LXC's come from its configuration (lxc-config.ts); a directory container's are what the
// operator named. The reads are injected so the planning is tested without LXC.
import { posix } from 'node:path';
import type { ContainerPlan, ContainerSource } from '../../../contract/container';
import { isLxcRunning, LxcConfigError, parseLxcConfig, rootfsDirectory } from './lxc-config';

export class ContainerMissingError extends Error {
  override name = 'ContainerMissingError';
}

export interface PlanIo {
  /** The file's text, or null when there is no such file. */
  readText(path: string): Promise<string | null>;
  /** What is at `path`: a directory, a file, something else, or nothing. */
  kindOf(path: string): Promise<'directory' | 'file' | 'other' | null>;
  /** The names in a directory. */
  list(dir: string): Promise<string[]>;
  /** LXC's state of the container (`lxc-info -s`), or null when LXC does not know it. */
  lxcState(name: string): Promise<string | null>;
}

/** How deep lxc.include may nest before it is taken for a loop. */
const MAX_INCLUDE_DEPTH = 8;

const isUnder = (p: string, dir: string) => p.startsWith(`${dir}/`);

export async function planContainer(source: ContainerSource, io: PlanIo, lxcPath = '/var/lib/lxc'): Promise<ContainerPlan> {
  if (source.runtime === 'directory') return planDirectory(source, io);
  const dir = posix.join(lxcPath, source.name);
  const configFile = posix.join(dir, 'config');
  const text = await io.readText(configFile);
  if (text === null) throw new ContainerMissingError(`LXC container "${source.name}" does not exist on this agent: no ${configFile}`);
  const configFiles = [configFile];
  let rootfsValue: string | null = null;
  // Breadth first, in the order LXC reads them; the container's own config decides the root filesystem unless an include sets it later.
  const abs = (p: string) => (p.startsWith('/') ? posix.normalize(p) : posix.join(dir, p));
  const visit = async (file: string, body: string, depth: number): Promise<void> => {
    const facts = parseLxcConfig(body);
    if (facts.rootfs !== null) rootfsValue = facts.rootfs;
    // Only what lives with the container is its configuration; shared files (/usr/share/lxc/config/*.conf) belong to the LXC install.
    const fstab = facts.fstab === null ? null : abs(facts.fstab);
    if (fstab !== null && isUnder(fstab, dir) && !configFiles.includes(fstab) && (await io.kindOf(fstab)) === 'file') configFiles.push(fstab);
    for (const p of facts.includes.map(abs)) {
      if (!isUnder(p, dir) || configFiles.includes(p)) continue;
      if (depth >= MAX_INCLUDE_DEPTH) throw new LxcConfigError(`${file}: lxc.include nests deeper than ${MAX_INCLUDE_DEPTH}`);
      const kind = await io.kindOf(p);
      const files = kind === 'file' ? [p] : kind === 'directory' ? (await io.list(p)).filter((n) => n.endsWith('.conf')).sort().map((n) => posix.join(p, n)) : [];
      for (const f of files) {
        const t = await io.readText(f);
        if (t === null || configFiles.includes(f)) continue;
        configFiles.push(f);
        await visit(f, t, depth + 1);
      }
    }
  };
  await visit(configFile, text, 0);
  if (rootfsValue === null) throw new LxcConfigError(`${configFile} sets no lxc.rootfs.path`);
  const rootfs = posix.normalize(rootfsDirectory(rootfsValue)).replace(/\/+$/, '') || '/';
  if (rootfs === '/') throw new LxcConfigError(`${configFile}: the root filesystem is / itself`);
  if ((await io.kindOf(rootfs)) !== 'directory') throw new ContainerMissingError(`LXC container "${source.name}": its root filesystem ${rootfs} is not a directory on this agent`);
  // The root filesystem may live inside the container's directory (LXC's default): a config file inside it is stored with it already.
  const files = configFiles.filter((f) => !isUnder(f, rootfs));
  return { runtime: 'lxc', name: source.name, rootfs, configRoot: dir, configFiles: files, running: isLxcRunning(await io.lxcState(source.name)) };
}

async function planDirectory(source: ContainerSource, io: PlanIo): Promise<ContainerPlan> {
  const rootfs = posix.normalize(source.rootfs ?? '').replace(/\/+$/, '');
  if (!rootfs.startsWith('/') || rootfs === '') throw new LxcConfigError(`container "${source.name}" names no root filesystem`);
  if ((await io.kindOf(rootfs)) !== 'directory') throw new ContainerMissingError(`container "${source.name}": its root filesystem ${rootfs} is not a directory on this agent`);
  const configFiles: string[] = [];
  if (source.config !== undefined) {
    const config = posix.normalize(source.config);
    if ((await io.kindOf(config)) !== 'file') throw new ContainerMissingError(`container "${source.name}": its configuration file ${config} is not a file on this agent`);
    configFiles.push(config);
  }
  return { runtime: 'directory', name: source.name, rootfs, configRoot: configFiles.length > 0 ? posix.dirname(configFiles[0]!) : null, configFiles, running: false };
}
