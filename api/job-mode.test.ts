import { InputError } from '../contract/errors';
import { JobMode } from '../contract/model';
import { checkJobModePaths, checkJobModePlugins } from './job-mode';

describe('checkJobModePaths', () => {
  it('refuses / itself in a pull job, however it is spelled', () => {
    for (const root of ['/', '//', '/.', '/./', '/..', '/etc/..']) {
      expect(() => checkJobModePaths('pull', ['/etc', root])).toThrow(InputError);
    }
    expect(() => checkJobModePaths('pull', ['/'])).toThrow('a pull job cannot back up / itself: the server worker mounts the export at the original paths and needs its own root for the engine; list the top-level directories instead');
  });

  it('takes top-level directories in a pull job and anything in a push job', () => {
    expect(() => checkJobModePaths('pull', ['/etc', '/srv/', '/home'])).not.toThrow();
    expect(() => checkJobModePaths('push', ['/'])).not.toThrow();
  });
});

describe('checkJobModePlugins', () => {
  it('refuses plugin configurations on a pull job only', () => {
    expect(() => checkJobModePlugins({ id: 4, mode: 'pull' }, [1])).toThrow(
      'job 4 is a pull job and takes no plugin configurations: their dumps and streams are stored by the engine on the agent, which would need the repository password',
    );
    expect(() => checkJobModePlugins({ id: 4, mode: 'push' }, [1, 2])).not.toThrow();
  });

  it('refuses them on a guest job, which stores its disks and configuration only', () => {
    expect(() => checkJobModePlugins({ id: 6, mode: 'push', kind: 'guest' }, [1])).toThrow('job 6 is a guest job and takes no plugin configurations');
    expect(() => checkJobModePlugins({ id: 6, mode: 'push', kind: 'guest' }, [])).not.toThrow();
  });

  it('lets every mode detach them all', () => {
    for (const mode of Object.values(JobMode)) expect(() => checkJobModePlugins({ id: 1, mode }, [])).not.toThrow();
  });
});
