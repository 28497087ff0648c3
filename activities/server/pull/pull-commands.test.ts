import { engineRootOps, hiddenEngineNeeds, pullCommand, pullSetupFailure, type ListDir, type ServerDirEntry } from './pull-commands';

/** A server filesystem as a map of directory → entries; a directory not listed is missing. */
function fakeServer(tree: Record<string, ServerDirEntry[]>): { list: ListDir; listed: string[] } {
  const listed: string[] = [];
  return {
    listed,
    list: async (dir) => {
      listed.push(dir);
      return tree[dir] ?? null;
    },
  };
}

const d = (name: string): ServerDirEntry => ({ name, kind: 'dir' });
const f = (name: string): ServerDirEntry => ({ name, kind: 'file' });
const l = (name: string): ServerDirEntry => ({ name, kind: 'symlink' });

/** The ops as [op, path] pairs (every op takes one path). */
const pairs = (ops: string[]) => {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < ops.length; i += 2) out.push([ops[i]!, ops[i + 1]!]);
  return out;
};

describe('engineRootOps', () => {
  it("mirrors the server's / and grafts a top-level job path", async () => {
    const { list, listed } = fakeServer({ '/': [d('usr'), d('etc'), d('data'), l('lib'), f('vmlinuz')] });
    expect(pairs(await engineRootOps(['/data'], list))).toEqual([
      ['mirror-dir', '/usr'],
      ['mirror-dir', '/etc'],
      ['mirror-link', '/lib'],
      ['mirror-file', '/vmlinuz'],
      ['graft', '/data'],
    ]);
    // The job path itself is never listed on the server: it comes from the export.
    expect(listed).toEqual(['/']);
  });

  it('makes the ancestors afresh, mirrors their other entries, and sets their metadata after their content', async () => {
    const { list } = fakeServer({
      '/': [d('usr'), d('srv'), d('proc')],
      '/srv': [d('www'), d('git'), f('README'), l('current')],
      '/srv/www': [d('site'), d('other')],
    });
    expect(pairs(await engineRootOps(['/srv/www/site'], list))).toEqual([
      ['mirror-dir', '/usr'],
      ['mirror-dir', '/proc'],
      ['dir', '/srv'],
      ['mirror-dir', '/srv/git'],
      ['mirror-file', '/srv/README'],
      ['mirror-link', '/srv/current'],
      ['dir', '/srv/www'],
      ['mirror-dir', '/srv/www/other'],
      ['graft', '/srv/www/site'],
      ['meta', '/srv/www'],
      ['meta', '/srv'],
    ]);
  });

  it("maps the server's `other` entries (sockets, devices) to mirror-file", async () => {
    const { list } = fakeServer({ '/': [{ name: 'sock', kind: 'other' }, d('data')] });
    expect(pairs(await engineRootOps(['/data'], list))).toEqual([['mirror-file', '/sock'], ['graft', '/data']]);
  });

  it('builds the ancestors of a job path whose parent the server does not have', async () => {
    const { list, listed } = fakeServer({ '/': [d('usr')] });
    expect(pairs(await engineRootOps(['/data/db/main'], list))).toEqual([
      ['mirror-dir', '/usr'],
      ['dir', '/data'],
      ['dir', '/data/db'],
      ['graft', '/data/db/main'],
      ['meta', '/data/db'],
      ['meta', '/data'],
    ]);
    expect(listed).toEqual(['/', '/data', '/data/db']);
  });

  it('a server entry along the job path is replaced even when it is a file or a symlink there', async () => {
    const { list } = fakeServer({ '/': [f('srv'), l('data')] });
    expect(pairs(await engineRootOps(['/srv/www', '/data'], list))).toEqual([
      ['graft', '/data'],
      ['dir', '/srv'],
      ['graft', '/srv/www'],
      ['meta', '/srv'],
    ]);
  });

  it('two job paths sharing an ancestor: the ancestor once, both grafted, its metadata after both', async () => {
    const { list, listed } = fakeServer({ '/': [d('srv'), d('etc')], '/srv': [d('a'), d('b'), d('c')] });
    expect(pairs(await engineRootOps(['/srv/b', '/srv/a'], list))).toEqual([
      ['mirror-dir', '/etc'],
      ['dir', '/srv'],
      ['mirror-dir', '/srv/c'],
      ['graft', '/srv/a'],
      ['graft', '/srv/b'],
      ['meta', '/srv'],
    ]);
    expect(listed).toEqual(['/', '/srv']);
  });

  it('job paths under different top-level directories each get their own branch', async () => {
    const { list } = fakeServer({ '/': [d('srv'), d('home')], '/srv': [], '/home': [d('ann'), d('bob')] });
    expect(pairs(await engineRootOps(['/srv/www', '/home/ann'], list))).toEqual([
      ['dir', '/home'],
      ['mirror-dir', '/home/bob'],
      ['graft', '/home/ann'],
      ['meta', '/home'],
      ['dir', '/srv'],
      ['graft', '/srv/www'],
      ['meta', '/srv'],
    ]);
  });

  it('a job path inside another is brought by the outer graft', async () => {
    const { list } = fakeServer({ '/': [d('srv')] });
    expect(pairs(await engineRootOps(['/srv', '/srv/www'], list))).toEqual([['graft', '/srv']]);
  });

  it('keeps names with spaces and newlines whole', async () => {
    const { list } = fakeServer({ '/': [d('a b'), d('x\ny')], '/a b': [f('c\nd')] });
    expect(await engineRootOps(['/a b/job path'], list)).toEqual(['mirror-dir', '/x\ny', 'dir', '/a b', 'mirror-file', '/a b/c\nd', 'graft', '/a b/job path', 'meta', '/a b']);
  });
});

describe('pullCommand', () => {
  const ops = ['mirror-dir', '/usr', 'dir', '/srv', 'graft', '/srv/www', 'meta', '/srv'];
  const cmd = pullCommand('/var/lib/backstop/pull/r1/mnt', '/var/lib/backstop/pull/r1/root', '/var/lib/backstop/pull/r1/sshfs.log', ops, 'restic', ['backup', '--json', '--', '/srv/www']);

  it('runs a script in a private mount namespace: its three fixed args, the ops, --, then the command', () => {
    expect(cmd.command).toBe('unshare');
    expect(cmd.args.slice(0, 5)).toEqual(['--mount', '--propagation', 'private', 'sh', '-c']);
    const script = cmd.args[5]!;
    expect(cmd.args.slice(6)).toEqual([
      'backstop-pull',
      '/var/lib/backstop/pull/r1/mnt',
      '/var/lib/backstop/pull/r1/root',
      '/var/lib/backstop/pull/r1/sshfs.log',
      ...ops,
      '--',
      'restic',
      'backup',
      '--json',
      '--',
      '/srv/www',
    ]);
    expect(script).toMatch(/^M=\$1; T=\$2; L=\$3; shift 3/);
    expect(script).toMatch(/exec chroot -- "\$T" "\$@"$/);
  });

  it('never splices a path into the script', () => {
    const odd = pullCommand('/m n', '/r\nt', "/l'og", ['graft', '/x"; rm -rf /; "'], 'restic', ['--', '/x"; rm -rf /; "']);
    const script = odd.args[5]!;
    for (const p of ['/m n', '/r\nt', "/l'og", 'rm -rf']) expect(script).not.toContain(p);
    expect(odd.args.slice(7, 10)).toEqual(['/m n', '/r\nt', "/l'og"]);
  });

  it('mounts the export read-only with sshfs over fd 3, its messages to the log', () => {
    const script = cmd.args[5]!;
    expect(script).toMatch(/sshfs -f -o passive,ro[^\n]* "\$M" <&3 >&3 2>>"\$L"/);
  });

  it('with no ops, -- follows the fixed args at once', () => {
    const bare = pullCommand('/m', '/t', '/l', [], 'true', []);
    expect(bare.args.slice(6)).toEqual(['backstop-pull', '/m', '/t', '/l', '--', 'true']);
  });
});

describe('pullSetupFailure', () => {
  it('names the exit codes of the mount script', () => {
    expect(pullSetupFailure(94)).toMatch(/missing from the agent export/);
    expect(pullSetupFailure(95)).toMatch(/sshfs could not mount/);
    expect(pullSetupFailure(97)).toMatch(/building the engine's view/);
    expect(pullSetupFailure(98)).toMatch(/internal error/);
  });
  it("leaves the engine's own exit codes and a signal alone", () => {
    for (const code of [0, 1, 3, 96, 99, 130, null]) expect(pullSetupFailure(code)).toBeNull();
  });
});

describe('hiddenEngineNeeds', () => {
  const needs = ['/usr/bin/restic', '/var/lib/backstop/repos/main', '/root/.cache/restic', '/tmp'];
  it('/ hides every need', () => {
    expect(hiddenEngineNeeds(['/'], needs)).toEqual(needs.map((need) => ({ path: '/', need })));
  });
  it('a job path equal to a need hides it', () => {
    expect(hiddenEngineNeeds(['/tmp'], needs)).toEqual([{ path: '/tmp', need: '/tmp' }]);
  });
  it('a job path above a need hides it', () => {
    expect(hiddenEngineNeeds(['/var/lib', '/usr'], needs)).toEqual([
      { path: '/var/lib', need: '/var/lib/backstop/repos/main' },
      { path: '/usr', need: '/usr/bin/restic' },
    ]);
  });
  it('a sibling sharing only a prefix, or a path inside a need, hides nothing', () => {
    expect(hiddenEngineNeeds(['/usr/bin/rest', '/tm', '/tmpx', '/var/lib/backstop/repos/mainx', '/tmp/inside'], needs)).toEqual([]);
    expect(hiddenEngineNeeds(['/srv'], ['/srvx/repo'])).toEqual([]);
    expect(hiddenEngineNeeds(['/srvx'], ['/srv/repo'])).toEqual([]);
  });
  it('no paths or no needs: nothing', () => {
    expect(hiddenEngineNeeds([], needs)).toEqual([]);
    expect(hiddenEngineNeeds(['/srv'], [])).toEqual([]);
  });
});
