import { deploymentOptions, routingNote } from './versioning';

const version = { deploymentName: 'backstop', buildId: 'b2' };

describe('deploymentOptions', () => {
  it('leaves an unversioned worker as it was', () => {
    expect(deploymentOptions(null)).toEqual({});
  });

  it('polls as the version, pinning what the workflows do not decide themselves', () => {
    expect(deploymentOptions(version)).toEqual({ workerDeploymentOptions: { useWorkerVersioning: true, version, defaultVersioningBehavior: 'PINNED' } });
  });
});

describe('routingNote', () => {
  it('is quiet when the version is current or ramping', () => {
    expect(routingNote(version, { current: 'b2' })).toMatchObject({ level: 'info', message: expect.stringContaining('is the current version') });
    expect(routingNote(version, { current: 'b1', ramping: 'b2' })).toMatchObject({ level: 'info', message: expect.stringContaining('is ramping') });
  });

  it('warns, with the command that fixes it, when the version gets no new runs', () => {
    const note = routingNote(version, { current: 'b1' });
    expect(note.level).toBe('warn');
    expect(note.message).toContain('build b2 is not current in deployment backstop (current: build b1)');
    expect(note.message).toContain('temporal worker deployment set-current-version --deployment-name backstop --build-id b2');
    expect(routingNote(version, {}).message).toContain('(current: no version (unversioned workers))');
  });
});
