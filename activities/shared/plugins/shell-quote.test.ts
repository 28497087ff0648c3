import { shellCommand, shellQuote } from './shell-quote';

describe('shellQuote', () => {
  it('leaves plain words alone and single-quotes the rest', () => {
    expect(shellQuote('/opt/hooks/pre.sh')).toBe('/opt/hooks/pre.sh');
    expect(shellQuote('a b')).toBe(`'a b'`);
    expect(shellQuote(`it's $HOME`)).toBe(`'it'\\''s $HOME'`);
    expect(shellCommand(['runuser', '-u', 'app', '--', '/x y/pre'])).toBe(`runuser -u app -- '/x y/pre'`);
  });
});
