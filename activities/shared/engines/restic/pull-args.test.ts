// restic's command lines for pull mode: the engine reads through a mount whose inode numbers
// change every time (sshfs), and a run that failed after writing its snapshot forgets it by id.
import { backupArgs } from './args';
import { forgetIdsArgs } from './forget-args';

describe('restic backup in pull mode', () => {
  it('passes --ignore-inode before the excludes and the paths', () => {
    expect(backupArgs({ paths: ['/srv/www'], excludes: ['*.tmp'], tags: ['t=1'], host: 'web1', ignoreInode: true })).toEqual([
      'backup', '--json', '--host', 'web1', '--tag', 't=1', '--ignore-inode', '--exclude', '*.tmp', '--', '/srv/www',
    ]);
  });
  it('leaves it out when not asked, or asked not to', () => {
    expect(backupArgs({ paths: ['/a'], excludes: [], tags: [], host: 'h' })).not.toContain('--ignore-inode');
    expect(backupArgs({ paths: ['/a'], excludes: [], tags: [], host: 'h', ignoreInode: false })).not.toContain('--ignore-inode');
  });
  it('has no effect on a stdin backup', () => {
    const args = backupArgs({ paths: ['/d'], excludes: [], tags: [], host: 'h', ignoreInode: true, stdin: { filename: '/d', command: ['cat'] } });
    expect(args).not.toContain('--ignore-inode');
  });
});

describe('forgetIdsArgs', () => {
  it('forgets exactly the ids given, after --', () => {
    expect(forgetIdsArgs(['0123abcd', '-looks-like-a-flag'])).toEqual(['forget', '--', '0123abcd', '-looks-like-a-flag']);
  });
  it('carries no policy, tag or grouping', () => {
    expect(forgetIdsArgs(['a'])).toEqual(['forget', '--', 'a']);
  });
});
