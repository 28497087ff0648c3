// A point-in-time view of a guest's disks, exported over NBD, made and taken down through QMP.
// Freezing is one QMP transaction over all disks (so the disks agree with each other): per
// disk, leftovers of unfinished runs merged into the base bitmap, the base stopped, this
// run's bitmap started, and a copy-before-write job into a fresh qcow2 overlay ("fleecing")
// so that the overlay reads as the disk did at that instant while the guest goes on writing.
// Every step here is safe to repeat: a retried attempt of the same run finds its view and
// reads it again, or rolls back what a killed attempt left half made and freezes anew.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bitmapName, decideBitmaps, isJobBitmap, type BitmapInfo, type BitmapMode } from './bitmap-plan';
import { QmpError, type Qmp } from './qmp-client';

export interface GuestDisk {
  /** The disk's name in the backup (`scsi0`, `virtio1`, …): a path segment. */
  name: string;
  /** The block node QEMU knows the disk's image by (`node-name`). */
  node: string;
}

export interface FrozenDisk {
  disk: GuestDisk;
  size: number;
  mode: BitmapMode;
  /** Why a full read, when mode is `none`. */
  reason: string | null;
  /** Exported with the view when mode is `reuse`: its dirty extents are what changed since the parent. */
  base: string | null;
  exportName: string;
  fleeceNode: string;
  blockJob: string;
  fleeceFile: string;
}

export interface FrozenView {
  runId: string;
  socketPath: string;
  disks: FrozenDisk[];
  /** True when a retried attempt found this run's view standing and took it over. */
  resumed: boolean;
}

export interface ViewRequest {
  jobId: number;
  runId: string;
  /** The run whose snapshot is this backup's parent; null for a first backup. */
  parentRunId: string | null;
  disks: GuestDisk[];
  /** This run's scratch directory on the QEMU host: overlays, the NBD socket, view.json. */
  workDir: string;
  /** Creates an empty qcow2 image of `size` bytes at `file` (qemu-img create). */
  createImage: (file: string, size: number) => Promise<void>;
  jobWaitMs?: number;
}

export class GuestViewError extends Error {
  override name = 'GuestViewError';
}

interface NodeInfo {
  'node-name': string;
  image?: { 'virtual-size'?: number };
  'dirty-bitmaps'?: BitmapInfo[];
}

const short = (runId: string) => runId.replace(/-/g, '').slice(0, 12);
const fleeceNodeName = (runId: string, i: number) => `bsfl-${short(runId)}-${i}`;
const blockJobName = (runId: string, i: number) => `bsfj-${short(runId)}-${i}`;
const exportNameOf = (runId: string, disk: GuestDisk) => `backstop-${short(runId)}-${disk.name}`;
const VIEW_FILE = 'view.json';
const OWN_SERVER_FILE = 'nbd-server.ours';

async function nodes(qmp: Qmp): Promise<NodeInfo[]> {
  return qmp.execute<NodeInfo[]>('query-named-block-nodes', { flat: true });
}

async function nodeOf(qmp: Qmp, node: string): Promise<NodeInfo> {
  const found = (await nodes(qmp)).find((n) => n['node-name'] === node);
  if (!found) throw new GuestViewError(`QEMU has no block node "${node}"`);
  return found;
}

async function startNbdServer(qmp: Qmp, req: ViewRequest): Promise<string> {
  const socketPath = join(req.workDir, 'nbd.sock');
  try {
    await qmp.execute('nbd-server-start', { addr: { type: 'unix', data: { path: socketPath } } });
    writeFileSync(join(req.workDir, OWN_SERVER_FILE), socketPath);
  } catch (err) {
    // Ours, from an earlier attempt of this run: carry on. Someone else's: its address is not ours to know.
    if (!(err instanceof QmpError && /already/i.test(err.desc) && existsSync(join(req.workDir, OWN_SERVER_FILE)))) {
      throw new GuestViewError(`cannot start an NBD server in QEMU: ${err instanceof Error ? err.message : String(err)} (another NBD server running in this QEMU must be stopped for Backstop's backups)`);
    }
  }
  return socketPath;
}

/** The view a previous attempt of this run froze, if all of it still stands in QEMU. */
async function standingView(qmp: Qmp, req: ViewRequest): Promise<FrozenView | null> {
  const file = join(req.workDir, VIEW_FILE);
  if (!existsSync(file)) return null;
  const view = JSON.parse(readFileSync(file, 'utf8')) as FrozenView;
  const names = new Set((await nodes(qmp)).map((n) => n['node-name']));
  const jobs = new Set((await qmp.execute<Array<{ device: string }>>('query-block-jobs')).map((j) => j.device));
  const whole = view.disks.every((d) => names.has(d.fleeceNode) && jobs.has(d.blockJob));
  return whole ? { ...view, resumed: true } : null;
}

/** Takes down this run's overlays, jobs and exports (not the bitmaps): repeatable, each step only if its object is there. */
export async function releaseView(qmp: Qmp, req: Pick<ViewRequest, 'runId' | 'disks' | 'workDir'> & { jobWaitMs?: number }): Promise<void> {
  const waitMs = req.jobWaitMs ?? 60_000;
  const exportIds = req.disks.map((d) => exportNameOf(req.runId, d));
  const liveExports = async () => new Set((await qmp.execute<Array<{ id: string }>>('query-block-exports')).map((e) => e.id));
  for (const id of exportIds) if ((await liveExports()).has(id)) await qmp.execute('block-export-del', { id, mode: 'hard' });
  const mark = qmp.eventMark();
  const running = new Set((await qmp.execute<Array<{ device: string }>>('query-block-jobs')).map((j) => j.device));
  const ours = req.disks.map((_, i) => blockJobName(req.runId, i)).filter((j) => running.has(j));
  for (const job of ours) await qmp.execute('block-job-cancel', { device: job, force: true });
  for (const job of ours) {
    await qmp.waitForEvent((e) => e.event === 'JOB_STATUS_CHANGE' && e.data?.id === job && e.data?.status === 'null', waitMs, mark);
  }
  // An export being deleted holds its node until its clients are gone.
  await waitUntil(async () => {
    const live = await liveExports();
    return exportIds.every((id) => !live.has(id));
  }, waitMs);
  const names = new Set((await nodes(qmp)).map((n) => n['node-name']));
  for (const [i] of req.disks.entries()) {
    if (names.has(fleeceNodeName(req.runId, i))) await qmp.execute('blockdev-del', { 'node-name': fleeceNodeName(req.runId, i) });
  }
  if (existsSync(join(req.workDir, OWN_SERVER_FILE))) {
    try {
      await qmp.execute('nbd-server-stop');
    } catch (err) {
      if (!(err instanceof QmpError && /not running/i.test(err.desc))) throw err;
    }
    rmSync(join(req.workDir, OWN_SERVER_FILE), { force: true });
  }
  for (const [i] of req.disks.entries()) rmSync(join(req.workDir, `fleece-${i}.qcow2`), { force: true });
  rmSync(join(req.workDir, VIEW_FILE), { force: true });
}
async function waitUntil(cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new GuestViewError('QEMU did not release an export in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Puts the bitmaps back as they were before this run froze: this run's bitmap merged into
 * the base (nothing written since is lost), the base recording again, this run's removed.
 */
export async function rollbackBitmaps(qmp: Qmp, req: Pick<ViewRequest, 'jobId' | 'runId' | 'parentRunId' | 'disks'>): Promise<void> {
  const mine = bitmapName(req.jobId, req.runId);
  const baseName = req.parentRunId ? bitmapName(req.jobId, req.parentRunId) : null;
  const all = await nodes(qmp);
  for (const disk of req.disks) {
    const node = all.find((n) => n['node-name'] === disk.node);
    // A node QEMU does not have (a job naming the wrong one, a run that failed on it) holds no bitmap of this run.
    if (!node) continue;
    const bitmaps = node['dirty-bitmaps'] ?? [];
    const has = (name: string | null) => name !== null && bitmaps.some((b) => b.name === name);
    // An inconsistent base (a crash) cannot be merged into or enabled: the next backup reads the whole disk anyway.
    const baseUsable = has(baseName) && !bitmaps.find((b) => b.name === baseName)!.inconsistent;
    const actions: Array<{ type: string; data: Record<string, unknown> }> = [];
    if (baseUsable && has(mine)) actions.push({ type: 'block-dirty-bitmap-merge', data: { node: disk.node, target: baseName, bitmaps: [mine] } });
    if (baseUsable) actions.push({ type: 'block-dirty-bitmap-enable', data: { node: disk.node, name: baseName } });
    if (has(mine)) actions.push({ type: 'block-dirty-bitmap-remove', data: { node: disk.node, name: mine } });
    if (actions.length > 0) await qmp.execute('transaction', { actions });
  }
}

/**
 * After the snapshot is recorded: this run's bitmap becomes the base of the next backup and
 * every older bitmap of the job goes. Repeatable; never called before the record exists.
 */
export async function commitBitmaps(qmp: Qmp, req: Pick<ViewRequest, 'jobId' | 'runId' | 'disks'>): Promise<void> {
  const mine = bitmapName(req.jobId, req.runId);
  for (const disk of req.disks) {
    const bitmaps = (await nodeOf(qmp, disk.node))['dirty-bitmaps'] ?? [];
    if (!bitmaps.some((b) => b.name === mine)) throw new GuestViewError(`disk ${disk.name} lost the dirty bitmap ${mine} this run started; the next backup of it will read the whole disk`);
    const old = bitmaps.filter((b) => isJobBitmap(b.name, req.jobId) && b.name !== mine);
    const actions = old.map((b) => ({ type: 'block-dirty-bitmap-remove', data: { node: disk.node, name: b.name } }));
    if (actions.length > 0) await qmp.execute('transaction', { actions });
  }
}

/**
 * After the job is deleted: every bitmap of the job removed from each of its disks' nodes that
 * QEMU has. Returns them as `<node>/<bitmap>`. Repeatable: a second call finds none.
 */
export async function forgetJobBitmaps(qmp: Qmp, jobId: number, disks: readonly GuestDisk[]): Promise<string[]> {
  const all = await nodes(qmp);
  const removed: string[] = [];
  for (const disk of disks) {
    const node = all.find((n) => n['node-name'] === disk.node);
    const ours = (node?.['dirty-bitmaps'] ?? []).filter((b) => isJobBitmap(b.name, jobId));
    if (ours.length === 0) continue;
    await qmp.execute('transaction', { actions: ours.map((b) => ({ type: 'block-dirty-bitmap-remove', data: { node: disk.node, name: b.name } })) });
    removed.push(...ours.map((b) => `${disk.node}/${b.name}`));
  }
  return removed;
}

/**
 * Freezes the guest's disks (or takes over this run's frozen view from an earlier attempt)
 * and exports each disk's view over NBD, read-only, with the base bitmap when there is one.
 */
export async function freezeView(qmp: Qmp, req: ViewRequest): Promise<FrozenView> {
  mkdirSync(req.workDir, { recursive: true, mode: 0o700 });
  const standing = await standingView(qmp, req);
  if (standing) {
    await startNbdServer(qmp, req);
    for (const d of standing.disks) await ensureExport(qmp, d);
    return standing;
  }
  // Whatever a killed attempt left half made goes first, its bitmap merged back.
  await releaseView(qmp, req);
  await rollbackBitmaps(qmp, req);

  const socketPath = await startNbdServer(qmp, req);
  const frozen: FrozenDisk[] = [];
  const actions: Array<{ type: string; data: Record<string, unknown> }> = [];
  for (const [i, disk] of req.disks.entries()) {
    const info = await nodeOf(qmp, disk.node);
    const size = info.image?.['virtual-size'];
    if (!size) throw new GuestViewError(`QEMU does not say the size of disk ${disk.name} (node ${disk.node})`);
    const decision = decideBitmaps(req.jobId, req.runId, req.parentRunId, info['dirty-bitmaps'] ?? []);
    const fleeceFile = join(req.workDir, `fleece-${i}.qcow2`);
    rmSync(fleeceFile, { force: true });
    await req.createImage(fleeceFile, size);
    const fleeceNode = fleeceNodeName(req.runId, i);
    await qmp.execute('blockdev-add', { driver: 'qcow2', 'node-name': fleeceNode, file: { driver: 'file', filename: fleeceFile }, backing: disk.node });
    for (const name of decision.mergeIntoBase) {
      actions.push({ type: 'block-dirty-bitmap-merge', data: { node: disk.node, target: decision.base, bitmaps: [name] } });
      actions.push({ type: 'block-dirty-bitmap-remove', data: { node: disk.node, name } });
    }
    // Of no use to a full read, and QEMU lets an inconsistent bitmap only be removed, outside any transaction.
    for (const name of decision.remove) await qmp.execute('block-dirty-bitmap-remove', { node: disk.node, name });
    if (decision.base) actions.push({ type: 'block-dirty-bitmap-disable', data: { node: disk.node, name: decision.base } });
    actions.push({ type: 'block-dirty-bitmap-add', data: { node: disk.node, name: decision.next, persistent: true } });
    actions.push({ type: 'blockdev-backup', data: { 'job-id': blockJobName(req.runId, i), device: disk.node, target: fleeceNode, sync: 'none' } });
    frozen.push({ disk, size, mode: decision.mode, reason: decision.reason, base: decision.base, exportName: exportNameOf(req.runId, disk), fleeceNode, blockJob: blockJobName(req.runId, i), fleeceFile });
  }
  // One transaction: all disks frozen at the same instant, or none.
  await qmp.execute('transaction', { actions });
  const view: FrozenView = { runId: req.runId, socketPath, disks: frozen, resumed: false };
  writeFileSync(join(req.workDir, VIEW_FILE), JSON.stringify(view));
  for (const d of frozen) await ensureExport(qmp, d);
  return view;
}

async function ensureExport(qmp: Qmp, d: FrozenDisk): Promise<void> {
  const exports = await qmp.execute<Array<{ id: string }>>('query-block-exports');
  if (exports.some((e) => e.id === d.exportName)) return;
  await qmp.execute('block-export-add', { type: 'nbd', id: d.exportName, 'node-name': d.fleeceNode, name: d.exportName, writable: false, ...(d.base ? { bitmaps: [d.base] } : {}) });
}
