import { parseShellHookConfig, shellHookArgv } from './config';

describe('shell_hook configuration', () => {
  it('takes script paths, a working directory, a timeout and a user', () => {
    expect(parseShellHookConfig({ preScript: '/opt/pre.sh', runAsUser: 'app', timeoutSeconds: 30, workingDirectory: '/srv' })).toEqual({
      preScript: '/opt/pre.sh',
      runAsUser: 'app',
      timeoutSeconds: 30,
      workingDirectory: '/srv',
    });
    expect(parseShellHookConfig({ postScript: '/opt/post.sh' })).toEqual({ postScript: '/opt/post.sh', timeoutSeconds: 600 });
  });

  it('refuses what it cannot run, saying why', () => {
    expect(() => parseShellHookConfig({})).toThrow('shell_hook: set "preScript", "postScript" or both');
    expect(() => parseShellHookConfig({ preScript: 'pre.sh' })).toThrow('shell_hook: "preScript" must be an absolute path without ".."');
    expect(() => parseShellHookConfig({ preScript: '/a', runAsUser: 'Root; rm' })).toThrow(/"runAsUser" must be a user name/);
    expect(() => parseShellHookConfig({ preScript: '/a', timeoutSeconds: 0 })).toThrow('shell_hook: "timeoutSeconds" must be an integer from 1 to 86400');
  });

  it('runs a script through runuser only for another user', () => {
    expect(shellHookArgv('/opt/pre.sh', undefined)).toEqual(['/opt/pre.sh']);
    expect(shellHookArgv('/opt/pre.sh', 'app')).toEqual(['runuser', '-u', 'app', '--', '/opt/pre.sh']);
  });
});
