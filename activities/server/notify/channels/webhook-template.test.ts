import { FAILED } from './__fixtures__/messages';
import { checkTemplate, renderTemplate, TEMPLATE_NAMES, templateMode } from './webhook-template';

describe('templateMode', () => {
  it('reads the mode from the content type', () => {
    expect(templateMode('application/json')).toBe('json');
    expect(templateMode('application/vnd.api+json; charset=utf-8')).toBe('json');
    expect(templateMode('application/x-www-form-urlencoded')).toBe('form');
    expect(templateMode('text/plain')).toBe('text');
  });
});

describe('renderTemplate (JSON)', () => {
  it('escapes a value inside a JSON string and writes whole values outside', () => {
    const t = '{"summary": "{{ title }}: {{text}}", "run": {{run.id}}, "warnings": {{run.warnings}}, "snapshot": {{run.snapshotId}}, "job": {{job}}}';
    const parsed = JSON.parse(renderTemplate(t, FAILED, 'json'));
    expect(parsed).toEqual({
      summary: `${FAILED.title}: ${FAILED.text}`,
      run: FAILED.run!.id,
      warnings: 0,
      snapshot: null,
      job: { id: 4, name: 'home' },
    });
  });

  it('cannot be broken out of by a value, inside or outside a string', () => {
    const evil = { ...FAILED, title: '", "admin": true, "x": "\\', text: '} ] {{title}}' };
    const parsed = JSON.parse(renderTemplate('{"a": "{{title}}", "b": {{text}}, "c": "say \\"{{text}}\\""}', evil, 'json'));
    expect(parsed).toEqual({ a: evil.title, b: evil.text, c: `say "${evil.text}"` });
    expect(parsed.admin).toBeUndefined();
  });

  it('writes the whole message for {{message}}', () => {
    expect(JSON.parse(renderTemplate('{"wrapped": {{message}}}', FAILED, 'json'))).toEqual({ wrapped: FAILED });
  });
});

describe('renderTemplate (form, text)', () => {
  it('percent-encodes form values', () => {
    expect(renderTemplate('title={{title}}&run={{run.id}}', { ...FAILED, title: 'a&b=c d' }, 'form')).toBe(`title=a%26b%3Dc%20d&run=${FAILED.run!.id}`);
  });
  it('writes text as it is, null as empty', () => {
    expect(renderTemplate('{{event}} {{run.snapshotId}}|', FAILED, 'text')).toBe('run.failed |');
  });
});

describe('checkTemplate', () => {
  it('knows every message field', () => {
    for (const n of ['title', 'text', 'event', 'severity', 'occurredAt', 'run.id', 'run.failureReason', 'job.name', 'agent.name', 'repository.id', 'message']) expect(TEMPLATE_NAMES.has(n)).toBe(true);
  });
  it('refuses an unknown name, naming it and the field', () => {
    expect(() => checkTemplate('{"x": "{{run.secret}}"}', 'json')).toThrow(/settings\.template uses \{\{run\.secret\}\}/);
  });
  it('refuses a malformed placeholder', () => {
    expect(() => checkTemplate('{{ title | upper }}', 'text')).toThrow(/malformed placeholder/);
  });
  it('refuses a JSON template that does not render to JSON', () => {
    expect(() => checkTemplate('{"x": {{title}', 'json')).toThrow(/settings\.template/);
    expect(() => checkTemplate('{"x": {{title}} "y": 1}', 'json')).toThrow(/does not render to valid JSON/);
  });
  it('finds every placeholder however often templates were rendered before', () => {
    renderTemplate('{"a": {{title}}, "b": {{text}}}', FAILED, 'json');
    expect(() => checkTemplate('{"x": {{nope}}}', 'json')).toThrow(/\{\{nope\}\}/);
  });
  it('accepts any text for a text template', () => {
    expect(() => checkTemplate('Backup {{title}} {{ run.status }}', 'text')).not.toThrow();
  });
});
