import { checkConfigFiles, readingProgress, typedGuestError } from './guest-activities';
import { GuestViewError } from './guest-view';
import { BackstopError } from '../../../contract/errors';

describe('readingProgress', () => {
  it('counts the bytes read of the bytes planned', () => {
    expect(readingProgress(3 * 65536, 4 * 65536, 2.5)).toEqual({ percent: 75, filesDone: 0, filesTotal: 0, bytesDone: 196608, bytesTotal: 262144, currentFile: null, secondsElapsed: 2.5 });
  });

  it('says 0% when nothing is planned yet, and never more than 100%', () => {
    expect(readingProgress(0, 0, 0).percent).toBe(0);
    expect(readingProgress(10, 5, 1).percent).toBe(100);
  });
});

describe('errors a retry cannot fix', () => {
  it('a node the guest does not have is the job\'s input error; other view errors stay as they are', () => {
    const typed = typedGuestError(new GuestViewError('QEMU has no block node "drive-scsi9"'));
    expect(typed).toBeInstanceOf(BackstopError);
    expect(typed).toMatchObject({ type: 'InputError', retryable: false });
    const other = new GuestViewError('QEMU did not release an export in time');
    expect(typedGuestError(other)).toBe(other);
  });

  it('missing configuration files are named, all of them', () => {
    expect(() => checkConfigFiles(['/etc/pve/100.conf', '/etc/pve/100.fw'], () => false)).toThrow('guest configuration files not found on the agent: /etc/pve/100.conf, /etc/pve/100.fw');
    expect(() => checkConfigFiles(['/etc/pve/100.conf'], () => true)).not.toThrow();
  });
});
