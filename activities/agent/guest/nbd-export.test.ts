import { daemonArgs, exportPaths, exportUri, isExportDaemon, parsePidFile, qemuOptionValue } from './nbd-export';

const req = { image: '/restores/vm-100.raw', socketPath: '/var/lib/backstop/nbd-exports/0f8e2a4c11114222.sock', pidFile: '/var/lib/backstop/nbd-exports/0f8e2a4c11114222.pid', name: 'scsi0' };

describe('the NBD export daemon', () => {
  it('serves a read-only export read-only down to the file, daemonized with a pid file', () => {
    expect(daemonArgs({ ...req, writable: false })).toEqual([
      '--blockdev', 'driver=file,filename=/restores/vm-100.raw,node-name=file0,read-only=on',
      '--blockdev', 'driver=raw,file=file0,node-name=disk0,read-only=on',
      '--nbd-server', 'addr.type=unix,addr.path=/var/lib/backstop/nbd-exports/0f8e2a4c11114222.sock',
      '--export', 'type=nbd,id=export0,node-name=disk0,name=scsi0,writable=off',
      '--pidfile', req.pidFile,
      '--daemonize',
    ]);
  });

  it('opens a writable export writable', () => {
    const args = daemonArgs({ ...req, writable: true });
    expect(args).toContain('driver=file,filename=/restores/vm-100.raw,node-name=file0,read-only=off');
    expect(args).toContain('type=nbd,id=export0,node-name=disk0,name=scsi0,writable=on');
  });

  it('doubles commas in values, so a path cannot add options', () => {
    expect(qemuOptionValue('/r/a,read-only=off')).toBe('/r/a,,read-only=off');
    expect(daemonArgs({ ...req, image: '/r/a,b.raw', writable: false })[1]).toBe('driver=file,filename=/r/a,,b.raw,node-name=file0,read-only=on');
  });

  it('names the socket and pid file from the export id, short enough for a UNIX socket', () => {
    expect(exportPaths('/s/nbd-exports', '0f8e2a4c-1111-4222-8333-444455556666')).toEqual({ socketPath: '/s/nbd-exports/0f8e2a4c11114222.sock', pidFile: '/s/nbd-exports/0f8e2a4c11114222.pid', workflowFile: '/s/nbd-exports/0f8e2a4c11114222.workflow' });
    for (const bad of ['../x', 'a/b', '']) expect(() => exportPaths('/s', bad)).toThrow(/not an export id/);
  });

  it('gives the nbd+unix URI of the export', () => {
    expect(exportUri('/s/nbd-exports/x.sock', 'scsi0')).toBe('nbd+unix:///scsi0?socket=/s/nbd-exports/x.sock');
    expect(exportUri('/s/my exports/x.sock', 'disk 1')).toBe('nbd+unix:///disk%201?socket=/s/my%20exports/x.sock');
  });

  it('reads a pid file and recognises its daemon by command line and socket only', () => {
    expect(parsePidFile('1234\n')).toBe(1234);
    for (const bad of ['', 'x', '1', '-5', '12 13']) expect(parsePidFile(bad)).toBeNull();
    const cmdline = ['/usr/bin/qemu-storage-daemon', ...daemonArgs({ ...req, writable: false })].join('\0') + '\0';
    expect(isExportDaemon(cmdline, req.socketPath)).toBe(true);
    expect(isExportDaemon(cmdline, '/other.sock')).toBe(false);
    expect(isExportDaemon(['/usr/bin/sleep', 'addr.type=unix,addr.path=' + req.socketPath].join('\0'), req.socketPath)).toBe(false);
  });
});
