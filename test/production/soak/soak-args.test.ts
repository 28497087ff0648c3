import { DEFAULT_JOBS, parseSoakArgs, replayCommand, SoakArgsError } from './soak-args';

const seed7 = () => 7;

describe('parseSoakArgs', () => {
  it('reads the required options and fills the defaults, drawing a seed', () => {
    expect(parseSoakArgs(['--minutes', '40', '--kills', '300'], seed7)).toEqual({ minutes: 40, kills: 300, jobs: DEFAULT_JOBS, seed: 7, keep: false, report: null });
  });

  it('takes --name=value as well, a fractional minute count and every optional flag', () => {
    expect(parseSoakArgs(['--minutes=0.5', '--kills=3', '--jobs', '9', '--seed=42', '--keep', '--report', '/tmp/r.json'], seed7)).toEqual({
      minutes: 0.5,
      kills: 3,
      jobs: 9,
      seed: 42,
      keep: true,
      report: '/tmp/r.json',
    });
  });

  it('draws no seed when one is given', () => {
    const draw = jest.fn(() => 1);
    parseSoakArgs(['--minutes', '1', '--kills', '1', '--seed', '0'], draw);
    expect(draw).not.toHaveBeenCalled();
  });

  it('keeps a drawn seed within 32 bits', () => {
    expect((parseSoakArgs(['--minutes', '1', '--kills', '1'], () => -1) as { seed: number }).seed).toBe(0xffff_ffff);
  });

  it('answers help', () => {
    expect(parseSoakArgs(['--help'], seed7)).toBe('help');
    expect(parseSoakArgs(['--minutes', '1', '-h'], seed7)).toBe('help');
  });

  it.each([
    [[], /--minutes is required/],
    [['--minutes', '5'], /--kills is required/],
    [['--minutes', '0', '--kills', '0'], /--minutes must be a number above 0/],
    [['--minutes', 'five', '--kills', '1'], /--minutes must be/],
    [['--minutes', '5', '--kills', '-1'], /--kills must be an integer/],
    [['--minutes', '5', '--kills', '2.5'], /--kills must be an integer/],
    [['--minutes', '1', '--kills', '31'], /more than one every 2 s/],
    [['--minutes', '5', '--kills', '10', '--jobs', '0'], /--jobs must be an integer from 1 to 30/],
    [['--minutes', '5', '--kills', '10', '--seed', '4294967296'], /--seed must be an integer/],
    [['--minutes', '5', '--kills', '10', '--speed', '3'], /unknown option --speed/],
    [['--minutes', '5', '--kills'], /--kills needs a value/],
    [['--minutes', '--kills', '3'], /--minutes needs a value/],
    [['--minutes', '5', '--minutes', '6', '--kills', '1'], /given twice/],
    [['5', '--kills', '1'], /unexpected argument "5"/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseSoakArgs(argv, seed7)).toThrow(SoakArgsError);
    expect(() => parseSoakArgs(argv, seed7)).toThrow(message);
  });

  it('says how to use it in every refusal', () => {
    expect(() => parseSoakArgs([], seed7)).toThrow(/usage: npm run soak -- --minutes M --kills N/);
  });
});

describe('replayCommand', () => {
  it('repeats sizes and seed', () => {
    expect(replayCommand({ minutes: 3, kills: 21, jobs: 6, seed: 99, keep: false, report: null })).toBe('npm run soak -- --minutes 3 --kills 21 --jobs 6 --seed 99');
  });
});
