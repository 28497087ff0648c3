import { DRILL_DEFAULTS, drillScratchDatabase, drillSettingsOrDefaults, drillVerdict, normalizeDrillSettings, type DrillEvidence, type DrillFiles } from './drill';
import { InputError } from './errors';

describe('normalizeDrillSettings', () => {
  it('fills in the defaults under what was set', () => {
    expect(normalizeDrillSettings(null)).toEqual(DRILL_DEFAULTS);
    expect(normalizeDrillSettings({ sampleFiles: 5, probes: { '3': 'SELECT count(*) FROM orders' } })).toEqual({ ...DRILL_DEFAULTS, sampleFiles: 5, probes: { '3': 'SELECT count(*) FROM orders' } });
    expect(normalizeDrillSettings({ readDataPercent: 2.5, agent: 'restore-test' })).toMatchObject({ readDataPercent: 2.5, agent: 'restore-test' });
  });

  it('refuses bad values, naming each', () => {
    const refused = (s: object) => {
      try {
        normalizeDrillSettings(s);
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        return (e as Error).message;
      }
      throw new Error('not refused');
    };
    expect(refused({ sampleFiles: 0 })).toContain('sampleFiles must be an integer from 1 to 1000');
    expect(refused({ readDataPercent: 2.55 })).toContain('readDataPercent must be a number with at most one decimal from 0 to 100');
    expect(refused({ readDataPercent: 101, staleAfterDays: 1.5 })).toMatch(/readDataPercent.*; staleAfterDays/);
    expect(refused({ agent: 'Bad Name' })).toContain('agent must be an agent name');
    expect(refused({ probes: { abc: 'SELECT 1' } })).toContain('probe key "abc" must be a plugin configuration id');
    expect(refused({ probes: { '2': '  ' } })).toContain('probe of configuration 2');
  });

  it('reads a stored row the rules refuse now as the defaults', () => {
    expect(drillSettingsOrDefaults({ sampleFiles: 5000 })).toEqual(DRILL_DEFAULTS);
    expect(drillSettingsOrDefaults({ sampleFiles: 5 }).sampleFiles).toBe(5);
  });
});

const files = (over: Partial<DrillFiles> = {}): DrillFiles => ({
  restoredOn: 'web-1',
  seed: 'run',
  candidates: 100,
  filesChecked: 6,
  bytesChecked: 1000,
  mismatches: [],
  listError: null,
  restoreError: null,
  files: [],
  durationSeconds: 2,
  ...over,
});

const evidence = (over: Partial<DrillEvidence> = {}): DrillEvidence => ({
  snapshot: { id: 'a'.repeat(64), time: '2026-11-30T02:00:00Z', paths: ['/srv'] },
  integrity: { engine: 'restic', scope: 'restic check --read-data-subset=5%', passed: true, problems: null, durationSeconds: 1 },
  files: files(),
  databases: [],
  durationSeconds: 4,
  ...over,
});

describe('drillVerdict', () => {
  it('passes a drill that found nothing wrong', () => {
    expect(drillVerdict(evidence())).toEqual({ status: 'succeeded', reason: null });
  });

  it('fails a drill with nothing to drill', () => {
    expect(drillVerdict(evidence({ snapshot: null }))).toEqual({ status: 'failed', reason: 'restore drill failed: the job has no snapshot to drill yet' });
  });

  it('names the damage the check found, the files that did not come back and the dumps that did not restore', () => {
    const v = drillVerdict(
      evidence({
        integrity: { engine: 'restic', scope: 's', passed: false, problems: 'restic check: the repository is damaged: pack 95366723: does not exist', durationSeconds: 1 },
        files: files({ mismatches: [{ path: '/srv/big.bin', reason: 'restic dump: pack not found' }] }),
        databases: [
          { configId: 3, plugin: 'pg_dump', path: '/backstop/pg_dump/config-3/shop.dump', snapshotId: 'b', scratchDatabase: 'x', status: 'failed', tables: [], probe: null, error: 'pg_restore: COPY failed', durationSeconds: 1 },
          { configId: 4, plugin: 'pipe', path: '/backstop/pipe/config-4/x', snapshotId: 'c', scratchDatabase: 'y', status: 'skipped', tables: [], probe: null, error: 'no database', durationSeconds: 0 },
        ],
      }),
    );
    expect(v.status).toBe('failed');
    expect(v.reason).toBe(
      'restore drill failed: repository check: restic check: the repository is damaged: pack 95366723: does not exist; ' +
        '1 of 6 sampled files did not come back intact: /srv/big.bin (restic dump: pack not found); ' +
        '1 of 2 database dumps did not restore: /backstop/pg_dump/config-3/shop.dump (pg_restore: COPY failed)',
    );
  });

  it('fails a drill whose snapshot cannot even be listed', () => {
    expect(drillVerdict(evidence({ files: files({ filesChecked: 0, listError: 'restic ls: tree 3f2a… not found' }) })).reason).toBe(
      "restore drill failed: the snapshot's files cannot be listed: restic ls: tree 3f2a… not found",
    );
  });

  it('names the first few mismatches and counts the rest', () => {
    const mismatches = Array.from({ length: 5 }, (_, i) => ({ path: `/f${i}`, reason: 'content differs' }));
    expect(drillVerdict(evidence({ files: files({ mismatches }) })).reason).toBe(
      'restore drill failed: 5 of 6 sampled files did not come back intact: /f0 (content differs); /f1 (content differs); /f2 (content differs) (and 2 more)',
    );
  });
});

test('scratch databases are plain identifiers unique to the run', () => {
  expect(drillScratchDatabase('0B9A3C1E-7d44-4a7f-9e0a-2d7c8a1b5f60', 2)).toBe('backstop_drill_0b9a3c1e_2');
  expect(drillScratchDatabase('run-1', 0)).toMatch(/^[A-Za-z_][A-Za-z0-9_-]{0,62}$/);
});
