import { guestStageOf, recoveredJobs, type FoundSnapshots } from './recovery-plan';
import type { EngineSnapshot } from '../contract/engine';

const snap = (id: string, time: string, tags: string[], over: Partial<EngineSnapshot> = {}): EngineSnapshot => ({ id, time, hostname: 'web1', paths: ['/srv'], tags, ...over });

const files = { kind: 'files', guest: null, guestStage: null, note: null };

describe('recoveredJobs', () => {
  it('recreates each missing job once, from its newest files snapshot, in the repository it was found in', () => {
    const found: FoundSnapshots[] = [
      {
        repositoryId: 4,
        snapshots: [
          snap('a', '2026-12-01T00:00:00Z', ['backstop-run=backup/7/x', 'backstop-job=7'], { paths: ['/old'] }),
          snap('b', '2026-12-02T00:00:00Z', ['backstop-run=backup/7/y', 'backstop-job=7'], { paths: ['/new', '/etc'] }),
          // A plugin stream of a later run: newer, but its path is a dump file's.
          snap('c', '2026-12-03T00:00:00Z', ['backstop-run=backup/7/z', 'backstop-job=7', 'backstop-item=2/app'], { paths: ['/app.sql'] }),
          snap('d', '2026-12-03T00:00:00Z', ['unrelated']),
        ],
      },
      { repositoryId: 5, snapshots: [snap('e', '2026-12-01T00:00:00Z', ['backstop-job=2'], { hostname: 'Not An Agent!' })] },
    ];
    expect(recoveredJobs(found, new Set())).toEqual([
      { ...files, id: 2, name: 'recovered-job-2', agentName: 'recovered', repositoryId: 5, paths: ['/srv'] },
      { ...files, id: 7, name: 'recovered-job-7', agentName: 'web1', repositoryId: 4, paths: ['/new', '/etc'] },
    ]);
  });

  it('leaves jobs that still exist alone, and takes a plugin stream only when the job has nothing else', () => {
    const found: FoundSnapshots[] = [
      { repositoryId: 1, snapshots: [snap('a', '2026-12-01T00:00:00Z', ['backstop-job=1']), snap('b', '2026-12-01T00:00:00Z', ['backstop-job=3', 'backstop-item=1/db'], { paths: ['/db.sql'] })] },
    ];
    expect(recoveredJobs(found, new Set([1]))).toEqual([{ ...files, id: 3, name: 'recovered-job-3', agentName: 'web1', repositoryId: 1, paths: ['/db.sql'] }]);
  });

  it('finds nothing in repositories without job tags', () => {
    expect(recoveredJobs([{ repositoryId: 1, snapshots: [snap('a', '2026-12-01T00:00:00Z', ['backstop-job=abc'])] }], new Set())).toEqual([]);
  });

  describe('guest jobs', () => {
    const stage = '/var/lib/backstop/agents/pve1/guest/9/stage';
    const guest = { qmpSocket: '/run/qemu-server/100.qmp', disks: [{ name: 'scsi0', node: 'drive-scsi0' }], configFiles: ['/etc/pve/qemu-server/100.conf'] };
    const found: FoundSnapshots[] = [{ repositoryId: 2, snapshots: [snap('g1', '2026-12-01T00:00:00Z', ['backstop-job=9'], { hostname: 'pve1', paths: [stage] }), snap('g2', '2026-12-02T00:00:00Z', ['backstop-job=9'], { hostname: 'pve1', paths: [stage] })] }];

    it('come back as guest jobs, with the guest their newest snapshot\'s manifest records', () => {
      expect(recoveredJobs(found, new Set(), new Map([['g2', guest]]))).toEqual([
        { id: 9, name: 'recovered-job-9', agentName: 'pve1', repositoryId: 2, paths: [], kind: 'guest', guest, guestStage: { snapshotId: 'g2', stageRoot: stage }, note: null },
      ]);
    });

    it('whose manifest records no guest, come back as files jobs of their stage, and the report says why', () => {
      const [job] = recoveredJobs(found, new Set());
      expect(job).toMatchObject({ kind: 'files', guest: null, paths: [stage], guestStage: { snapshotId: 'g2', stageRoot: stage } });
      expect(job!.note).toMatch(/guest backup whose manifest does not record the guest/);
    });

    it("a stage is a guest job's only under its own job id, alone in its snapshot", () => {
      expect(guestStageOf({ paths: [stage] }, 9)).toBe(stage);
      expect(guestStageOf({ paths: [stage] }, 1)).toBeNull();
      expect(guestStageOf({ paths: [stage, '/etc'] }, 9)).toBeNull();
      expect(guestStageOf({ paths: ['/srv/guest/9/stage-old'] }, 9)).toBeNull();
    });
  });
});
