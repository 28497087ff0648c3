import { archiveComment, archiveGroup, archiveName, escapePlaceholders, groupGlob, parseComment, sanitizeNamePart } from './names';

describe('archiveName', () => {
  test('job, item and run tags in a fixed order, sanitised and joined by dots', () => {
    expect(archiveName(['backstop-run=backup/3/2026-12-03T00:36:07Z', 'backstop-job=3'])).toBe('backstop-job=3.backstop-run=backup_3_2026-12-03T00:36:07Z');
    expect(archiveName(['backstop-item=5/db.sql', 'backstop-run=backup/3/x', 'extra', 'backstop-job=3'])).toBe('backstop-job=3.backstop-item=5_db_sql.backstop-run=backup_3_x');
  });

  test('deterministic without a run or job tag, whatever the order of the tags', () => {
    const a = archiveName(['sample', 'other']);
    expect(a).toMatch(/^backstop-tags=[0-9a-f]{16}$/);
    expect(archiveName(['other', 'sample'])).toBe(a);
    expect(archiveName(['x'])).not.toBe(a);
    expect(archiveName(['backstop-job=4', 'x'])).toMatch(/^backstop-job=4\.backstop-tags=/);
  });

  test('no character borg or a glob would misread', () => {
    expect(sanitizeNamePart('a/b c*d?e[f]g\\h.i')).toBe('a_b_c_d_e_f_g_h_i');
  });
});

describe('groups', () => {
  test('the name without its run part', () => {
    expect(archiveGroup('backstop-job=3.backstop-run=backup_3_x')).toBe('backstop-job=3');
    expect(archiveGroup('backstop-job=3.backstop-item=5_db.backstop-run=r')).toBe('backstop-job=3.backstop-item=5_db');
    expect(archiveGroup('backstop-tags=abc')).toBe('');
  });

  test('the glob matches the group and not the longer names of its streams', () => {
    expect(groupGlob('backstop-job=3.backstop-run=backup_3_x')).toBe('backstop-job=3.backstop-run=*');
    expect(groupGlob('backstop-job=3.backstop-item=5_db.backstop-run=r')).toBe('backstop-job=3.backstop-item=5_db.backstop-run=*');
    expect(groupGlob('backstop-tags=abc')).toBe('backstop-tags=*');
  });
});

describe('comments', () => {
  test('tags, host and paths round-trip', () => {
    const c = archiveComment(['backstop-job=1'], 'web1', ['/srv']);
    expect(parseComment(c)).toEqual({ backstop: 1, tags: ['backstop-job=1'], host: 'web1', paths: ['/srv'] });
  });

  test("an operator's comment is not Backstop's", () => {
    expect(parseComment('nightly')).toBeNull();
    expect(parseComment('{"tags":["x"]}')).toBeNull();
    expect(parseComment('{broken')).toBeNull();
    expect(parseComment(undefined)).toBeNull();
  });

  test('braces are doubled for borg 1.2’s placeholder expansion', () => {
    expect(escapePlaceholders('{"a":{"b":1}}')).toBe('{{"a":{{"b":1}}}}');
  });
});
