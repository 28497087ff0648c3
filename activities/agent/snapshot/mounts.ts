// Which mount a path lives on, from findmnt (util-linux).
import { findmntArgs, parseFindmnt, type MountInfo } from '../../shared/snapshot-commands';
import { runTool } from './volume';

export async function findMount(path: string): Promise<MountInfo> {
  const info = parseFindmnt(await runTool('findmnt', findmntArgs(path), `findmnt ${path}`));
  if (!info) throw new Error(`findmnt named no filesystem for ${path}`);
  return info;
}

export async function isMountPoint(path: string): Promise<boolean> {
  const info = await runTool('findmnt', findmntArgs(path), 'findmnt').then(parseFindmnt, () => null);
  return info?.target === path;
}
