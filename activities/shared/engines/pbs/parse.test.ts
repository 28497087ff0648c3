import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorType } from '../../../../contract/errors';
import { BackupReport, classifyFailure, filesFromCatalog, hasRecordBlob, listingFromCatalog, parseBackupLine, parseCatalogLine, parseHumanBytes, parsePrune, parseSeconds, parseSnapshotList, unquoteRust } from './parse';
import { snapshotIdOf } from './snapshots';

const fixture = (name: string) => readFileSync(join(__dirname, '__fixtures__', name), 'utf8');

describe('snapshot list', () => {
  const list = parseSnapshotList(fixture('snapshot-list.json'), null);

  it('maps each snapshot to a Backstop snapshot, oldest first', () => {
    expect(list.map((s) => s.path)).toEqual(['host/db1/2025-12-01T00:40:33Z', 'host/web1/2025-12-02T00:40:33Z', 'host/web1/2025-12-03T00:40:33Z']);
    expect(list[2]!.snapshot).toEqual({
      id: snapshotIdOf('host/web1/2025-12-03T00:40:33Z', null),
      time: '2025-12-03T00:40:33Z',
      hostname: 'web1',
      paths: ['/srv/www'],
      tags: ['backstop-run=backup/7/scheduled-2025-12-03T00:40:00Z', 'backstop-job=7'],
    });
    expect(list[2]!.files).toContain('root.mpxar.didx');
  });

  it('leaves tags and paths empty where the notes are not Backstop\'s or missing', () => {
    expect(list[0]!.record).toBeNull();
    expect(list[0]!.snapshot.tags).toEqual([]);
    expect(list[0]!.protected).toBe(true);
    // Crash between backup and note: no note, but the record blob is in the snapshot.
    expect(list[1]!.record).toBeNull();
    expect(hasRecordBlob(list[1]!)).toBe(true);
    expect(hasRecordBlob(list[0]!)).toBe(false);
  });

  it('hashes ids with the namespace', () => {
    expect(parseSnapshotList(fixture('snapshot-list.json'), 'prod')[0]!.snapshot.id).toBe(snapshotIdOf('host/db1/2025-12-01T00:40:33Z', 'prod'));
  });

  it('reads an empty answer as no snapshots, and refuses a non-list', () => {
    expect(parseSnapshotList('', null)).toEqual([]);
    expect(() => parseSnapshotList('{"data":1}', null)).toThrow(/did not return a list/);
  });
});

describe('prune', () => {
  it('splits a group into kept and removed snapshots, with the tags and paths Backstop knows', () => {
    const known = new Map(parseSnapshotList(fixture('snapshot-list.json'), null).map((s) => [s.path, s]));
    const g = parsePrune(fixture('prune.json'), known, null, ['backstop-job=7']);
    expect(g.host).toBe('web1');
    expect(g.tags).toEqual(['backstop-job=7']);
    expect(g.paths).toEqual(['/srv/www']);
    expect(g.keep.map((k) => [k.snapshot.time, k.reasons])).toEqual([
      ['2025-12-03T00:40:33Z', ['policy']],
      ['2025-12-01T00:40:33Z', ['protected']],
    ]);
    expect(g.remove.map((s) => s.id)).toEqual([snapshotIdOf('host/web1/2025-12-02T00:40:33Z', null)]);
  });
});

describe('catalog dump', () => {
  const lines = fixture('catalog-dump.txt').split('\n');

  it('parses each entry type, quoting and file size/mtime', () => {
    expect(parseCatalogLine('f "./root.pxar.didx/etc/hostname" 5 2025-12-01T10:00:00Z')).toEqual({ type: 'file', archive: 'root.pxar.didx', path: '/etc/hostname', size: 5, mtime: '2025-12-01T10:00:00Z' });
    expect(parseCatalogLine('d "./root.pxar.didx"')).toMatchObject({ type: 'dir', archive: 'root.pxar.didx', path: '/' });
    expect(parseCatalogLine('f "./root.pxar.didx/old" 7 1700000000')?.mtime).toBe('2023-11-14T22:13:20Z');
    expect(parseCatalogLine('l "./root.pxar.didx/etc/localtime"')?.type).toBe('symlink');
    expect(parseCatalogLine('something else')).toBeNull();
    expect(unquoteRust('"a\\"b\\\\c\\u{e9}\\n"')).toBe('a"b\\cé\n');
  });

  it('lists the root as the directories down to the backed-up path', () => {
    expect(listingFromCatalog(lines, { 'root.pxar': '/srv/www' }, '/')).toEqual({
      node: null,
      children: [expect.objectContaining({ name: 'srv', path: '/srv', type: 'dir', size: null })],
    });
    expect(listingFromCatalog(lines, { 'root.pxar': '/srv/www' }, '/srv')?.children.map((c) => c.path)).toEqual(['/srv/www']);
  });

  it('lists a directory of the archive under its original path', () => {
    const l = listingFromCatalog(lines, { 'root.pxar': '/srv/www' }, '/srv/www')!;
    expect(l.node).toMatchObject({ path: '/srv/www', type: 'dir' });
    expect(l.children.map((c) => [c.name, c.type])).toEqual([
      ['etc', 'dir'], ['fifo', 'fifo'], ['hardlink', 'file'], ['index.html', 'file'], ['null', 'chardev'], ['old', 'file'], ['sda', 'dev'], ['socket', 'socket'], ['with "quotes" and ünïcode.txt', 'file'],
    ]);
    const index = l.children.find((c) => c.name === 'index.html')!;
    expect(index).toEqual({ name: 'index.html', path: '/srv/www/index.html', type: 'file', size: 1234, mtime: '2025-12-02T08:30:15Z', mode: 0, permissions: '-?????????', uid: 0, gid: 0 });
    const etc = listingFromCatalog(lines, { 'root.pxar': '/srv/www' }, '/srv/www/etc/')!;
    expect(etc.children.map((c) => c.name)).toEqual(['cifs-utils', 'hostname', 'localtime']);
    expect(listingFromCatalog(lines, { 'root.pxar': '/srv/www' }, '/srv/www/etc/hostname')).toEqual({ node: expect.objectContaining({ type: 'file', size: 5 }), children: [] });
  });

  it('answers null for a path the snapshot does not have', () => {
    expect(listingFromCatalog(lines, { 'root.pxar': '/srv/www' }, '/srv/www/nope')).toBeNull();
    expect(listingFromCatalog(lines, { 'root.pxar': '/srv/www' }, '/var')).toBeNull();
  });

  it('reads split (metadata mode) archives by the same archive name', () => {
    const split = ['d "./root.mpxar.didx"', 'f "./root.mpxar.didx/a" 1 2025-01-01T00:00:00Z'];
    expect(listingFromCatalog(split, { 'root.pxar': '/data' }, '/data')?.children.map((c) => c.path)).toEqual(['/data/a']);
  });

  it('plans a restore as the files under the included paths', () => {
    const all = filesFromCatalog(lines, { 'root.pxar': '/srv/www' }, () => true);
    expect(all).toContainEqual({ path: '/srv/www/etc/hostname', size: 5 });
    expect(filesFromCatalog(lines, { 'root.pxar': '/srv/www' }, (p) => p.startsWith('/srv/www/etc/'))).toEqual([{ path: '/srv/www/etc/hostname', size: 5 }]);
  });
});

describe('backup output', () => {
  it('parses sizes and durations as the client prints them', () => {
    expect(parseHumanBytes('2.25 MiB')).toBe(2359296);
    expect(parseHumanBytes('1 GiB')).toBe(1073741824);
    expect(parseHumanBytes('512 B')).toBe(512);
    expect(parseHumanBytes('3.5 MB')).toBe(3500000);
    expect(parseHumanBytes('lots')).toBeNull();
    expect(parseSeconds('61.20 s')).toBe(61.2);
    expect(parseSeconds('62.40s')).toBe(62.4);
    expect(parseSeconds('1m')).toBe(60);
    expect(parseSeconds('1h 2m 3s')).toBe(3723);
    expect(parseSeconds('soon')).toBeNull();
  });

  it('finds the snapshot, progress, per-archive totals and the duration', () => {
    let t = 0;
    const report = new BackupReport(() => t);
    const progress = fixture('backup-output.txt').split('\n').map((line) => {
      t += 1000;
      return report.push(line);
    }).filter((p) => p !== null);
    expect(report.snapshot).toBe('host/web1/2025-12-03T00:40:33Z');
    expect(report.ended).toBe(true);
    expect(progress[0]).toMatchObject({ bytesDone: 512 * 1024 ** 2 });
    expect(report.stats()).toEqual({
      filesNew: 0, filesChanged: 0, filesUnmodified: 0, dirsNew: 0, dirsChanged: 0, dirsUnmodified: 0,
      dataAdded: Math.round(1.5 * 1024 ** 2) + Math.round(128.5 * 1024 ** 2),
      totalFilesProcessed: 0,
      totalBytesProcessed: Math.round(2.25 * 1024 ** 2) + 1024 ** 3,
      durationSeconds: 62.4,
    });
  });

  it('finds the snapshot in a namespace too, and reports no stats for no summary', () => {
    expect(parseBackupLine('Starting backup: [prod]:host/web1/2025-12-03T00:40:33Z')).toEqual({ kind: 'start', snapshot: 'host/web1/2025-12-03T00:40:33Z' });
    expect(parseBackupLine('Client name: web1').kind).toBe('other');
    expect(new BackupReport().stats()).toBeNull();
  });
});

describe('failures', () => {
  const cases = Object.fromEntries(
    fixture('errors.txt').split(/^# /m).filter(Boolean).map((block) => {
      const [name, ...rest] = block.split('\n');
      return [name!.trim(), rest.join('\n')];
    }),
  );

  it.each([
    ['auth', ErrorType.repositoryAuth, /authentication failed/],
    ['permission', ErrorType.repositoryAuth, /lacks privileges/],
    ['fingerprint', ErrorType.input, /fingerprint/],
    ['datastore', ErrorType.repositoryMissing, /no such datastore/],
    ['lock', ErrorType.repositoryLocked, /locked/],
    ['keypw', ErrorType.repositoryAuth, /encryption key/],
    ['source', ErrorType.sourceMissing, /does not exist/],
    ['snapshot', ErrorType.notFound, /snapshot not found/],
    ['network', ErrorType.engine, /exited with code 255: Error: error trying to connect/],
  ])('classifies %s', (name, type, message) => {
    const err = classifyFailure(255, cases[name]!, 'proxmox-backup-client x');
    expect(err.type).toBe(type);
    expect(err.message).toMatch(message);
    expect(err.message.startsWith('proxmox-backup-client x: ')).toBe(true);
  });
});
