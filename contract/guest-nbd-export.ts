// Guest disk NBD exports (issue 19, item 2): a guest snapshot's disk restored into a new image
// file on the agent, then served over NBD by a qemu-storage-daemon on a UNIX socket in the
// agent's work directory, for a hypervisor to attach (Proxmox VE's `nbd` restore mechanism, a
// live-restore that boots from the export). One GuestNbdExportWorkflow per export; the export
// id is its restore run's id. Shared by the workflow, the agent's activities, the API and the
// CLI: no Node APIs here.

export const ExportState = {
  /** The run has started: the target is being checked. */
  starting: 'starting',
  /** The disk is being written into the image (restic dump). */
  restoring: 'restoring',
  /** The daemon serves the image at `nbdUri`. */
  exported: 'exported',
  /** Release asked, TTL reached, cancelled or failed: the daemon is being stopped. */
  releasing: 'releasing',
  /** No daemon runs any more; the workflow has ended (or is about to). The image stays. */
  ended: 'ended',
} as const;
export type ExportState = (typeof ExportState)[keyof typeof ExportState];

/** Why an export ended. `failed`: the restore failed (its image removed) or the daemon could not be kept up. */
export type ExportEndReason = 'released' | 'expired' | 'cancelled' | 'failed';

/** Bounds of the TTL a request may ask for; without one the export stays until released. */
export const EXPORT_TTL = { minSeconds: 5, maxSeconds: 30 * 24 * 3600 } as const;

/** The TTL asked for (seconds) in ms, checked against the bounds; null when absent (no expiry). */
export function exportTtlMs(ttlSeconds: number | undefined): number | null {
  if (ttlSeconds === undefined) return null;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < EXPORT_TTL.minSeconds || ttlSeconds > EXPORT_TTL.maxSeconds) {
    throw new RangeError(`ttlSeconds must be a whole number of seconds between ${EXPORT_TTL.minSeconds} and ${EXPORT_TTL.maxSeconds}`);
  }
  return ttlSeconds * 1000;
}

export interface GuestNbdExportInput {
  /** The export's id: its restore run's id. */
  runId: string;
  snapshot: { id: string; repositoryId: number; jobId: number | null; paths: string[] };
  agentName: string;
  disk: string;
  /** The new image file on the agent (under its restore roots). */
  target: string;
  writable: boolean;
  /** Released this long after it is first exported; null: until released. */
  ttlMs: number | null;
  agentScheduleToStartMs?: number;
  engineHeartbeatTimeoutMs?: number;
}

/** What the API shows and the workflow returns once it ends. */
export interface GuestNbdExportStatus {
  exportId: string;
  snapshotId: string;
  disk: string;
  target: string;
  writable: boolean;
  state: ExportState;
  /** `nbd+unix:///<disk>?socket=<path>` while exported; null otherwise. */
  nbdUri: string | null;
  /** Bytes written into the image (known once the restore is done). */
  bytesRestored: number | null;
  /** Daemon starts so far: more than one after the agent or the daemon died and it came back. */
  attempts: number;
  /** When the TTL releases it (ISO time), or null. */
  expiresAt: string | null;
  startedAt: string;
  endReason: ExportEndReason | null;
  failureReason: string | null;
}

export interface ExportWaitInput {
  /** Wait up to this long for the state to change from the one the caller saw (starting/restoring: until exported or ended; releasing: until ended). */
  waitMs?: number;
}

/** Workflow messages, by name (the API uses them without importing workflow code). */
export const ExportMessage = {
  /** Update: answers the status, after waiting (bounded) for the export to be up or ended. */
  status: 'guestNbdExportStatus',
  /** Update: asks for the release and answers the status (after waiting, bounded, until ended). */
  release: 'releaseGuestNbdExport',
  /** Query: the status, also of an ended run. */
  query: 'guestNbdExportQuery',
} as const;

/** Where the agent keeps an export's daemon: names derived from the export id only. */
export interface NbdExportRef {
  exportId: string;
}

export interface StartNbdExportInput extends NbdExportRef {
  /** The restored image (as the target check resolved it). */
  image: string;
  /** The export's name in the NBD URI: the disk's name. */
  name: string;
  writable: boolean;
}

export interface StartedNbdExport {
  socketPath: string;
  nbdUri: string;
  pid: number;
  /** A daemon an earlier attempt (or a killed agent) left was stopped first. */
  replacedPid: number | null;
}

export interface HoldNbdExportInput extends NbdExportRef {
  pid: number;
}

export interface ReleaseNbdExportInput extends NbdExportRef {
  /** The image too: the restore failed or was cancelled, so it is no one's result. */
  removeImage: string | null;
}

/** The agent's export steps (task queue agent.<name>); each safe to run again. */
export interface GuestNbdExportActivities {
  /** Stops this export's leftover daemon (pid file), then starts one serving the image; returns once it listens. */
  startGuestNbdExport(input: StartNbdExportInput): Promise<StartedNbdExport>;
  /** Heartbeats while the daemon runs; fails when it is gone; on cancellation stops it. */
  holdGuestNbdExport(input: HoldNbdExportInput): Promise<void>;
  /** Stops the daemon, removes its socket and pid file (and the image when asked); idempotent. */
  releaseGuestNbdExport(input: ReleaseNbdExportInput): Promise<void>;
}
