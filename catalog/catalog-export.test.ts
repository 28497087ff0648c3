import { EXPORT_FORMAT, parentsFirst, parseCatalogExport } from './catalog-export';

describe('parentsFirst', () => {
  it('puts every referenced table before the tables that reference it, ignoring self-references', () => {
    const order = parentsFirst(['snapshots', 'runs', 'jobs', 'agents', 'repositories'], [
      { child: 'snapshots', parent: 'runs' },
      { child: 'snapshots', parent: 'jobs' },
      { child: 'runs', parent: 'jobs' },
      { child: 'runs', parent: 'runs' },
      { child: 'jobs', parent: 'agents' },
      { child: 'jobs', parent: 'repositories' },
    ]);
    const at = (t: string) => order.indexOf(t);
    expect(order).toHaveLength(5);
    expect(at('agents')).toBeLessThan(at('jobs'));
    expect(at('repositories')).toBeLessThan(at('jobs'));
    expect(at('jobs')).toBeLessThan(at('runs'));
    expect(at('runs')).toBeLessThan(at('snapshots'));
  });

  it('names a cycle instead of looping', () => {
    expect(() => parentsFirst(['a', 'b'], [{ child: 'a', parent: 'b' }, { child: 'b', parent: 'a' }])).toThrow(/cycle/);
  });
});

describe('parseCatalogExport', () => {
  it('accepts an export and refuses anything else with a clear reason', () => {
    const good = { format: EXPORT_FORMAT, formatVersion: 1, schemaVersion: 14, exportedAt: '2026-12-03T00:00:00Z', tables: { jobs: [] } };
    expect(parseCatalogExport(JSON.stringify(good)).schemaVersion).toBe(14);
    expect(() => parseCatalogExport('{not json')).toThrow(/not JSON/);
    expect(() => parseCatalogExport('{"format":"other"}')).toThrow(/not a Backstop catalog export/);
    expect(() => parseCatalogExport(JSON.stringify({ ...good, formatVersion: 9 }))).toThrow(/format 9/);
    expect(() => parseCatalogExport(JSON.stringify({ ...good, tables: { jobs: 3 } }))).toThrow(/jobs is not a list/);
  });
});
