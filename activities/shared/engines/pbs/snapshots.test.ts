import { createHash } from 'node:crypto';
import { archivesFor, epochToRfc3339, notesFor, parseRecord, pxarExcludes, snapshotIdOf, snapshotPath } from './snapshots';

describe('PBS snapshot ids', () => {
  it('are the sha256 of the snapshot path: 64 hex, deterministic', () => {
    const path = snapshotPath('host', 'web1', 1764722433);
    expect(path).toBe('host/web1/2025-12-03T00:40:33Z');
    const id = snapshotIdOf(path, null);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(id).toBe(createHash('sha256').update('host/web1/2025-12-03T00:40:33Z').digest('hex'));
    expect(snapshotIdOf(path, null)).toBe(id);
  });

  it('differ between namespaces of one datastore', () => {
    const path = 'host/web1/2025-12-03T00:40:33Z';
    expect(snapshotIdOf(path, 'prod')).not.toBe(snapshotIdOf(path, null));
    expect(snapshotIdOf(path, 'prod')).not.toBe(snapshotIdOf(path, 'test'));
  });

  it('print epochs as PBS does', () => {
    expect(epochToRfc3339(0)).toBe('1970-01-01T00:00:00Z');
  });
});

describe('Backstop record in notes', () => {
  it('round-trips tags and archives on the first line', () => {
    const record = { tags: ['backstop-run=backup/1/x', 'backstop-job=1', 'backstop-item=3/my db'], archives: { 'root.pxar': '/srv/www' } };
    const notes = notesFor(record);
    expect(notes.split('\n')[0]).toMatch(/^backstop:\{/);
    expect(parseRecord(notes)).toEqual(record);
    expect(parseRecord(notes.split('\n')[0])).toEqual(record);
    // The blob holds the bare JSON.
    expect(parseRecord(JSON.stringify(record))).toEqual(record);
  });

  it('ignores notes that are not Backstop\'s', () => {
    expect(parseRecord(undefined)).toBeNull();
    expect(parseRecord('nightly, by hand')).toBeNull();
    expect(parseRecord('backstop:{broken')).toBeNull();
  });
});

describe('archive names', () => {
  it('use root.pxar for one path and unique sanitized names for several', () => {
    expect(archivesFor(['/srv/www/'])).toEqual([{ archive: 'root.pxar', path: '/srv/www' }]);
    expect(archivesFor(['/a/data', '/b/data', '/c/data', '/catalog', '/x/é t'])).toEqual([
      { archive: 'data.pxar', path: '/a/data' },
      { archive: 'data-2.pxar', path: '/b/data' },
      { archive: 'data-3.pxar', path: '/c/data' },
      { archive: 'catalog-dir.pxar', path: '/catalog' },
      { archive: 't.pxar', path: '/x/é t' },
    ]);
    expect(archivesFor(['/', '/etc']).map((a) => a.archive)).toEqual(['root.pxar', 'etc.pxar']);
  });

  it('re-anchor absolute excludes at the single archive, keep patterns as they are', () => {
    expect(pxarExcludes(['/srv/www/cache', '*.tmp', '/other', '/srv/www'], ['/srv/www'])).toEqual(['/cache', '*.tmp', '/*']);
    expect(pxarExcludes(['/var/tmp'], ['/'])).toEqual(['/var/tmp']);
    expect(pxarExcludes(['**/node_modules', '/elsewhere'], ['/a', '/b'])).toEqual(['**/node_modules']);
  });
});
