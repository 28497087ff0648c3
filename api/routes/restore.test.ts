import { needsApproval, overwriteFor } from './restore';

describe('restore approval policy', () => {
  const cases: Array<[mode: Parameters<typeof needsApproval>[0], req: Parameters<typeof needsApproval>[1], expected: boolean]> = [
    ['destructive', {}, false],
    ['destructive', { target: '/srv', overwrite: 'never' }, false],
    ['destructive', { target: '/srv', overwrite: 'if-newer' }, false],
    ['destructive', { target: '/srv', overwrite: 'always' }, true],
    ['destructive', { requireApproval: true }, true],
    ['always', {}, true],
    ['never', { target: '/srv', overwrite: 'always' }, false],
    ['never', { requireApproval: true }, true],
  ];
  it.each(cases)('mode %s with %j needs approval: %s', (mode, req, expected) => {
    expect(needsApproval(mode, req)).toBe(expected);
  });
});

describe('overwrite policy', () => {
  it("uses the engine's default for a new directory and refuses a policy there", () => {
    expect(overwriteFor({})).toBeNull();
    expect(() => overwriteFor({ overwrite: 'always' })).toThrow(/explicit target only/);
  });

  it.each(['never', 'if-newer', 'always'] as const)('passes %s through for an explicit target', (policy) => {
    expect(overwriteFor({ target: '/srv', overwrite: policy })).toBe(policy);
  });

  it('keeps existing files of an explicit target unless told otherwise', () => {
    expect(overwriteFor({ target: '/srv' })).toBe('never');
  });
});
