// Pull mode on the real stack: the agent exports its paths over mTLS (OpenSSH's sftp-server),
// the server worker mounts them with sshfs (real FUSE) and runs restic itself.
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type Postgres } from '../support/postgres';
import { startStack, type Stack } from '../support/stack';
import { restic, snapshotsTagged, locks } from '../support/restic';
import { writeFidelityTree } from '../support/fidelity-tree';
import { writeRandomFiles } from '../support/random-files';
import { sshfsMounts } from '../support/pull-mode';
import { problemOf } from '../support/problem';
import { runTag } from '../../contract/names';
import { removeWorkDir } from '../support/work-dir';

jest.setTimeout(300_000);

let pg: Postgres;
let stack: Stack;
let work: string;
// A canary: it must never reach the agent (its environment, its logs, its files).
const PASSWORD = 'canary-3f9d1c-pull-mode-password';

beforeAll(async () => {
  pg = await startPostgres();
  stack = await startStack({ databaseUrl: pg.url });
  work = mkdtempSync(join(tmpdir(), 'backstop-pull-'));
});

afterAll(async () => {
  await stack?.stop();
  await pg?.stop();
  // Last: every process that wrote there has stopped.
  removeWorkDir(work);
});

interface LsEntry {
  path: string;
  type: string;
  mode?: number;
  permissions?: string;
  uid?: number;
  gid?: number;
  size?: number;
  mtime?: string;
  atime?: string;
  ctime?: string;
  inode?: number;
}

async function listing(repo: string, snapshotId: string): Promise<Map<string, LsEntry>> {
  const out = await restic(repo, PASSWORD, ['ls', '--json', snapshotId]);
  const entries = out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LsEntry & { struct_type?: string; message_type?: string })
    .filter((e) => (e.struct_type ?? e.message_type) === 'node');
  return new Map(entries.map((e) => [e.path, e]));
}

/** Whole seconds of an RFC 3339 time with any fraction and offset. */
const seconds = (t: string | undefined) => (t ? Math.floor(Date.parse(t) / 1000) : null);

/**
 * What pull mode is documented to lose (README, "Pull mode"): inode numbers (sshfs makes its
 * own), ctimes (SFTP carries none: sshfs reports the mtime), atimes (reading through the
 * export sets them on the agent after push read them) and the sub-second part of mtimes
 * (SFTP v3 carries whole seconds). Anything else that differs fails the test.
 */
function undocumentedDifferences(push: Map<string, LsEntry>, pull: Map<string, LsEntry>, source: string): string[] {
  const out: string[] = [];
  // The directories above the job path are live and shared with the machine (/tmp): their
  // mtimes move between the two backups whatever the mode. Their owners and modes still count.
  const above = (path: string) => source.startsWith(`${path}/`);
  for (const path of new Set([...push.keys(), ...pull.keys()])) {
    const a = push.get(path);
    const b = pull.get(path);
    if (!a || !b) {
      out.push(`${JSON.stringify(path)}: only in ${a ? 'push' : 'pull'}`);
      continue;
    }
    for (const field of ['type', 'mode', 'permissions', 'uid', 'gid', 'size'] as const) {
      if (a[field] !== b[field]) out.push(`${JSON.stringify(path)}: ${field} ${JSON.stringify(a[field])} (push) vs ${JSON.stringify(b[field])} (pull)`);
    }
    if (!above(path) && seconds(a.mtime) !== seconds(b.mtime)) out.push(`${JSON.stringify(path)}: mtime ${a.mtime} (push) vs ${b.mtime} (pull)`);
  }
  return out;
}

/**
 * How a tree restored from a pull snapshot differs from its source: owners, modes, whole-second
 * mtimes, link targets and contents (a pull snapshot keeps no hard links or sub-second times).
 */
function restoredDifferences(source: string, restored: string): string[] {
  const out: string[] = [];
  const kind = (st: Stats) => (st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isFIFO() ? 'fifo' : 'other');
  const walk = (rel: string) => {
    const a = lstatSync(join(source, rel));
    const bPath = join(restored, rel);
    if (!existsSync(bPath) && !lstatSync(bPath, { throwIfNoEntry: false })) {
      out.push(`${JSON.stringify(rel)}: not restored`);
      return;
    }
    const b = lstatSync(bPath);
    const name = JSON.stringify(rel || '.');
    if (kind(a) !== kind(b)) out.push(`${name}: ${kind(a)} vs ${kind(b)}`);
    if (!a.isSymbolicLink() && a.mode !== b.mode) out.push(`${name}: mode ${a.mode.toString(8)} vs ${b.mode.toString(8)}`);
    if (a.uid !== b.uid || a.gid !== b.gid) out.push(`${name}: owner ${a.uid}:${a.gid} vs ${b.uid}:${b.gid}`);
    if (Math.floor(a.mtimeMs / 1000) !== Math.floor(b.mtimeMs / 1000)) out.push(`${name}: mtime ${a.mtime.toISOString()} vs ${b.mtime.toISOString()}`);
    if (a.isSymbolicLink() && readlinkSync(join(source, rel)) !== readlinkSync(bPath)) out.push(`${name}: link target`);
    if (a.isFile() && (a.size !== b.size || !readFileSync(join(source, rel)).equals(readFileSync(bPath)))) out.push(`${name}: content`);
    if (a.isDirectory()) {
      const names = (dir: string) => readdirSync(dir).sort();
      const [sa, sb] = [names(join(source, rel)), names(bPath)];
      for (const extra of sb.filter((n) => !sa.includes(n))) out.push(`${JSON.stringify(join(rel, extra))}: only restored`);
      for (const n of sa) walk(join(rel, n));
    }
  };
  walk('');
  return out;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('pull mode', () => {
  it('records what push records (but the documented losses), as the agent, and the agent never sees the password', async () => {
    const source = join(work, 'tree');
    writeFidelityTree(source);
    const repoPath = join(work, 'repo');
    const repo = await stack.api.createRepository({ name: 'pull-main', url: repoPath, password: PASSWORD });
    const pushJob = await stack.api.createJob({ name: 'tree-push', agent: 'local', repositoryId: repo.id, paths: [source] });
    const pullJob = await stack.api.createJob({ name: 'tree-pull', agent: 'local', repositoryId: repo.id, paths: [source], mode: 'pull' });

    const pulled = await stack.api.runJob(pullJob.id);
    const pullRun = await stack.api.waitForRun(pulled.runId, { timeoutMs: 180_000 });
    expect(pullRun).toMatchObject({ status: 'succeeded', failureReason: null, warnings: [] });
    const tagged = await snapshotsTagged(repoPath, PASSWORD, runTag(pulled.workflowId));
    expect(tagged.map((s) => s.id)).toEqual([pullRun.snapshotId]);
    const [snap] = JSON.parse(await restic(repoPath, PASSWORD, ['snapshots', '--json', pullRun.snapshotId!])) as Array<{ hostname: string; paths: string[] }>;
    expect(snap).toMatchObject({ hostname: 'local', paths: [source] });
    expect(await sshfsMounts()).toBe('');
    expect(await locks(repoPath, PASSWORD)).toEqual([]);

    // The agent's environment, logs and files never held the password.
    const agentPid = stack.pid('agent')!;
    expect(readFileSync(`/proc/${agentPid}/environ`, 'utf8')).not.toContain(PASSWORD);
    expect(readFileSync(join(stack.dir, 'logs', 'agent.log'), 'utf8')).not.toContain(PASSWORD);
    for (const f of filesUnder(join(stack.dir, 'data', 'agents', 'local'))) {
      if (statSync(f).size < 16 * 1024 * 1024) expect(readFileSync(f, 'latin1')).not.toContain(PASSWORD);
    }

    const pushed = await stack.api.runJob(pushJob.id);
    const pushRun = await stack.api.waitForRun(pushed.runId, { timeoutMs: 180_000 });
    expect(pushRun.status).toBe('succeeded');
    const differences = undocumentedDifferences(await listing(repoPath, pushRun.snapshotId!), await listing(repoPath, pullRun.snapshotId!), source);
    expect(differences).toEqual([]);

    // What `ls --json` does not show, from the trees themselves: the fidelity table of the README.
    const pushNodes = await treeNodes(repoPath, pushRun.snapshotId!);
    const pullNodes = await treeNodes(repoPath, pullRun.snapshotId!);
    const at = (nodes: Map<string, TreeNode>, name: string) => nodes.get(join(source, name))!;
    for (const name of ['link-relative', 'link-absolute', 'link-dangling']) expect(at(pullNodes, name).linktarget).toBe(at(pushNodes, name).linktarget);
    expect(at(pullNodes, 'fifo').type).toBe('fifo');
    expect(at(pullNodes, 'sparse.img').size).toBe(at(pushNodes, 'sparse.img').size);
    expect(at(pullNodes, 'sparse.img').content).toEqual(at(pushNodes, 'sparse.img').content);
    // Documented losses: hard links (sshfs shows one link per name), extended attributes.
    expect(at(pushNodes, 'hard-a').links).toBe(2);
    expect(at(pullNodes, 'hard-a').links).toBe(1);
    expect(at(pushNodes, 'plain.txt').extended_attributes?.map((x) => x.name)).toEqual(['user.backstop']);
    expect(at(pullNodes, 'plain.txt').extended_attributes ?? []).toEqual([]);
  });

  it("restores a pull job's snapshot with the engine on the server, through the agent's export of the target", async () => {
    const source = join(work, 'restore-tree');
    writeFidelityTree(source);
    const repoPath = join(work, 'repo-restore');
    const repo = await stack.api.createRepository({ name: 'pull-restore', url: repoPath, password: PASSWORD });
    const job = await stack.api.createJob({ name: 'restore-pull', agent: 'local', repositoryId: repo.id, paths: [source], mode: 'pull' });
    const backup = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 180_000 });
    expect(backup.status).toBe('succeeded');

    // No `via`: the agent only has pull jobs on this repository, so the server runs the engine.
    const { runId } = await stack.api.restoreSnapshot(backup.snapshotId!, {});
    const run = await stack.api.waitForRun(runId, { timeoutMs: 180_000 });
    expect(run).toMatchObject({ status: 'succeeded', failureReason: null });
    expect(run.details).toMatchObject({ via: 'server', verification: 'passed' });
    expect(await stack.catalog.repositories.agentUse('local', repo.id)).toBe('pull-only');
    expect(await sshfsMounts()).toBe('');

    // Every entry back at <target><original path>, as the snapshot holds it.
    const restored = join(String(run.details!.target), source);
    // Documented loss of server restores (README): restic's dump archives carry no special
    // files, so the fifo is missing; everything else is as the snapshot holds it.
    expect(restoredDifferences(source, restored)).toEqual(['"fifo": not restored']);

    // Still no password on the agent: not in its environment, its log, its files, nor the restored tree.
    const agentPid = stack.pid('agent')!;
    expect(readFileSync(`/proc/${agentPid}/environ`, 'utf8')).not.toContain(PASSWORD);
    expect(readFileSync(join(stack.dir, 'logs', 'agent.log'), 'utf8')).not.toContain(PASSWORD);
    for (const f of [...filesUnder(join(stack.dir, 'data', 'agents', 'local')), ...filesUnder(restored)]) {
      if (statSync(f).size < 16 * 1024 * 1024) expect(readFileSync(f, 'latin1')).not.toContain(PASSWORD);
    }
  });

  it('refuses a server restore with a policy whose crash resume needs the files where the engine runs', async () => {
    const repo = await stack.api.createRepository({ name: 'pull-restore-policy', url: join(work, 'repo-policy'), password: PASSWORD });
    const source = join(work, 'policy-tree');
    writeRandomFiles(source, 2, 1024);
    const job = await stack.api.createJob({ name: 'policy-pull', agent: 'local', repositoryId: repo.id, paths: [source], mode: 'pull' });
    const backup = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 120_000 });
    const refused = await problemOf(stack.api.restoreSnapshot(backup.snapshotId!, { target: join(work, 'policy-target'), overwrite: 'never' }));
    expect(refused.status).toBe(400);
    expect(refused.problem?.detail).toMatch(/overwrite never needs via "agent"/);
  });

  it('re-reads no file in a no-change incremental', async () => {
    const source = join(work, 'incremental');
    writeRandomFiles(source, 40, 64 * 1024, { subdirs: 4 });
    const repo = await stack.api.createRepository({ name: 'pull-incremental', url: join(work, 'repo-incremental'), password: PASSWORD });
    const job = await stack.api.createJob({ name: 'incremental-pull', agent: 'local', repositoryId: repo.id, paths: [source], mode: 'pull' });
    const first = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 120_000 });
    expect(first.stats).toMatchObject({ filesNew: 40 });
    const second = await stack.api.waitForRun((await stack.api.runJob(job.id)).runId, { timeoutMs: 120_000 });
    expect(second.status).toBe('succeeded');
    // restic's own counters: nothing new, nothing changed, every file taken from the parent.
    expect(second.stats).toMatchObject({ filesNew: 0, filesChanged: 0, filesUnmodified: 40 });
  });
});

interface TreeNode {
  name: string;
  type: string;
  linktarget?: string;
  links?: number;
  size?: number;
  content?: string[];
  subtree?: string;
  extended_attributes?: Array<{ name: string; value: string }>;
}

/** Every node of a snapshot by path, read from its trees (`restic cat`). */
async function treeNodes(repo: string, snapshotId: string): Promise<Map<string, TreeNode>> {
  const out = new Map<string, TreeNode>();
  const walk = async (treeId: string, dir: string): Promise<void> => {
    const tree = JSON.parse(await restic(repo, PASSWORD, ['cat', 'blob', treeId])) as { nodes: TreeNode[] };
    for (const node of tree.nodes) {
      const path = join(dir, node.name);
      out.set(path, node);
      if (node.type === 'dir' && node.subtree) await walk(node.subtree, path);
    }
  };
  const snapshot = JSON.parse(await restic(repo, PASSWORD, ['cat', 'snapshot', snapshotId])) as { tree: string };
  await walk(snapshot.tree, '/');
  return out;
}
