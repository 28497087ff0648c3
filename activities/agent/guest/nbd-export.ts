// The command line and addresses of a guest disk's NBD export (issue 19, item 2): one
// qemu-storage-daemon per export, serving the restored raw image on a UNIX socket in the
// agent's work directory. Pure: the activities (nbd-export-activities.ts) spawn it.
//
// The daemon daemonizes (`--daemonize`): its parent exits once the NBD server listens, so
// readiness is the parent's exit status, and the daemon is no child of the agent — an agent
// killed -9 leaves it running, and `--pidfile` is how the next attempt finds and stops it.
import { join } from 'node:path';
import { nbdUri } from './nbd-info';

/** File names of one export under the agent's export directory (short: a UNIX socket path has 108 bytes). */
export function exportPaths(dir: string, exportId: string): { socketPath: string; pidFile: string; workflowFile: string } {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(exportId)) throw new Error(`not an export id: ${exportId}`);
  return exportFiles(dir, exportId.replace(/-/g, '').slice(0, 16));
}

/** An export's files by their common stem; `workflowFile` names the workflow that holds it (for the sweep at agent start). */
export function exportFiles(dir: string, stem: string): { socketPath: string; pidFile: string; workflowFile: string } {
  return { socketPath: join(dir, `${stem}.sock`), pidFile: join(dir, `${stem}.pid`), workflowFile: join(dir, `${stem}.workflow`) };
}

/** QEMU's option syntax: a comma inside a value is written twice. */
export function qemuOptionValue(value: string): string {
  return value.replace(/,/g, ',,');
}

export interface DaemonRequest {
  image: string;
  socketPath: string;
  pidFile: string;
  /** The export's name (the disk's). */
  name: string;
  writable: boolean;
}

/**
 * qemu-storage-daemon's arguments: the image as a raw node (read-only down to the file when
 * the export is, so nothing can write it), one NBD server on the socket, one export.
 */
export function daemonArgs(r: DaemonRequest): string[] {
  const ro = r.writable ? 'off' : 'on';
  return [
    '--blockdev', `driver=file,filename=${qemuOptionValue(r.image)},node-name=file0,read-only=${ro}`,
    '--blockdev', `driver=raw,file=file0,node-name=disk0,read-only=${ro}`,
    '--nbd-server', `addr.type=unix,addr.path=${qemuOptionValue(r.socketPath)}`,
    '--export', `type=nbd,id=export0,node-name=disk0,name=${qemuOptionValue(r.name)},writable=${ro === 'on' ? 'off' : 'on'}`,
    '--pidfile', r.pidFile,
    '--daemonize',
  ];
}

/** The URI a hypervisor or `nbdinfo`/`nbdcopy` opens the export with. */
export function exportUri(socketPath: string, name: string): string {
  return nbdUri({ socketPath, exportName: name });
}

/** A pid file's content as a pid, or null when it holds none. */
export function parsePidFile(text: string): number | null {
  const m = /^\s*(\d+)\s*$/.exec(text);
  const pid = m ? Number(m[1]) : NaN;
  return Number.isSafeInteger(pid) && pid > 1 ? pid : null;
}

/** Whether a process's /proc/<pid>/cmdline (NUL-separated) is this export's daemon: the daemon, with this socket. */
export function isExportDaemon(cmdline: string, socketPath: string): boolean {
  const args = cmdline.split('\0');
  return /(^|\/)qemu-storage-daemon$/.test(args[0] ?? '') && args.includes(`addr.type=unix,addr.path=${qemuOptionValue(socketPath)}`);
}
