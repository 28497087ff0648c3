import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, symlinkSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importTarCommand, parseImportHeader } from './import-commands';
import { parseImportStatus } from '../../../contract/pull';

describe('parseImportHeader', () => {
  it('takes the two modes and nothing else', () => {
    expect(parseImportHeader('extract')).toBe('extract');
    expect(parseImportHeader('compare')).toBe('compare');
    for (const bad of ['', 'EXTRACT', 'extract ', 'rm -rf /', 'x'.repeat(100)]) expect(() => parseImportHeader(bad)).toThrow(/unknown import request/);
  });
});

describe('parseImportStatus', () => {
  it('reads an answer line and refuses anything else', () => {
    expect(parseImportStatus('{"exitCode":0,"members":3,"output":""}')).toEqual({ exitCode: 0, members: 3, output: '' });
    expect(parseImportStatus('{"exitCode":null,"members":0,"output":"killed"}')).toEqual({ exitCode: null, members: 0, output: 'killed' });
    for (const bad of ['', 'null', '{"exitCode":0}', 'not json', '{"members":"3","output":""}']) expect(parseImportStatus(bad)).toBeNull();
  });
});

describe('importTarCommand', () => {
  it('extracts into the target keeping numeric owners, modes and xattrs, one line per member', () => {
    const c = importTarCommand('extract', '/srv/restore here');
    expect(c.command).toBe('tar');
    expect(c.args).toEqual(expect.arrayContaining(['--extract', '--file=-', '--directory=/srv/restore here', '--numeric-owner', '--same-owner', '--same-permissions', '--xattrs', '--verbose']));
    expect(c.args).not.toContain('--absolute-names');
  });

  it('compares without --verbose, so its output is the differences only', () => {
    const c = importTarCommand('compare', '/t');
    expect(c.args).toEqual(['--compare', '--file=-', '--directory=/t', '--numeric-owner']);
  });

  describe('with GNU tar, for real', () => {
    let work: string;
    beforeEach(() => (work = mkdtempSync(join(tmpdir(), 'backstop-import-'))));
    afterEach(() => rmSync(work, { recursive: true, force: true }));

    const archiveOf = (dir: string, members: string[]) => execFileSync('tar', ['--create', '--file=-', `--directory=${dir}`, ...members]);
    const run = (mode: 'extract' | 'compare', target: string, input: Buffer) => {
      const c = importTarCommand(mode, target);
      return spawnSync(c.command, c.args, { input });
    };

    it("writes nothing outside the target: links out are not written through, members with .. are refused", () => {
      const src = join(work, 'src');
      mkdirSync(join(src, 'a'), { recursive: true });
      writeFileSync(join(src, 'a', 'f'), 'inside\n');
      symlinkSync('/etc', join(src, 'a', 'out'));
      const target = join(work, 'target');
      mkdirSync(target);
      // An archive whose last member would write through the link to /etc if tar followed it.
      const evil = join(work, 'evil');
      mkdirSync(join(evil, 'a', 'out'), { recursive: true });
      writeFileSync(join(evil, 'a', 'out', 'backstop-pwned'), 'x');
      const archive = execFileSync('tar', ['--create', '--file=-', `--directory=${src}`, 'a', `--directory=${evil}`, 'a/out/backstop-pwned']);
      const r = run('extract', target, archive);
      expect(readFileSync(join(target, 'a', 'f'), 'utf8')).toBe('inside\n');
      expect(() => lstatSync('/etc/backstop-pwned')).toThrow();
      // The link is made only at the end (a placeholder file holds its place), so the member
      // cannot go through it: tar refuses it and fails the run, which fails the restore.
      expect(r.status).toBe(2);
      expect(r.stderr.toString()).toContain('a/out/backstop-pwned: Cannot open: Not a directory');
      const dotdot = execFileSync('tar', ['--create', '--file=-', `--directory=${src}`, '--transform=s,^a/f,../escaped,', 'a/f']);
      run('extract', target, dotdot);
      expect(() => lstatSync(join(work, 'escaped'))).toThrow();
    });

    it('compare finds a changed file', () => {
      const src = join(work, 'src');
      mkdirSync(src);
      writeFileSync(join(src, 'f'), 'snapshot content\n');
      const archive = archiveOf(src, ['f']);
      const target = join(work, 'target');
      mkdirSync(target);
      expect(run('extract', target, archive).status).toBe(0);
      expect(run('compare', target, archive).status).toBe(0);
      writeFileSync(join(target, 'f'), 'damaged content!\n');
      const r = run('compare', target, archive);
      expect(r.status).toBe(1);
      expect(r.stdout.toString()).toMatch(/f: Contents differ/);
    });
  });
});
