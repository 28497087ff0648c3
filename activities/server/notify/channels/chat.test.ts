import { FAILED, withEvent } from './__fixtures__/messages';
import { discord, DISCORD_COLORS, renderDiscordPayload } from './discord';
import { mattermost, renderMattermostPayload } from './mattermost';
import { renderSlackPayload, slack, slackEscape } from './slack';

describe('Slack', () => {
  it('escapes the three mrkdwn control characters', () => {
    expect(slackEscape('<!channel> & <https://x|y>')).toBe('&lt;!channel&gt; &amp; &lt;https://x|y&gt;');
  });
  it('sends text and header/section/context blocks', () => {
    const p = renderSlackPayload(FAILED);
    expect(p.text).toBe(`:x: ${FAILED.title}`);
    expect(p.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: FAILED.title, emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: ':x: restic: repository is locked by PID 42 &lt;on&gt; "db-1" &amp; more' } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: expect.stringContaining('*Job:* home (#4)') }] },
    ]);
  });
  it('sends text alone when blocks are off, and keeps Block Kit limits', () => {
    const p = renderSlackPayload(withEvent('run.succeeded', 'info', { title: 'T'.repeat(500) }), false);
    expect(p.blocks).toBeUndefined();
    expect(p.text.startsWith(':white_check_mark: *TTT')).toBe(true);
    const withBlocks = renderSlackPayload(withEvent('run.warning', 'warning', { title: 'T'.repeat(500) }));
    expect((withBlocks.blocks![0] as { text: { text: string } }).text.text).toHaveLength(150);
  });
  it('keeps the webhook URL a secret and refuses settings it does not know', () => {
    expect(slack.description.secretFields).toEqual(['url']);
    expect(() => slack.validate({}, { url: 'https://hooks.slack.com/services/T/B/X' })).not.toThrow();
    expect(() => slack.validate({ url: 'https://hooks.slack.com/services/T/B/X' }, {})).toThrow(/settings\.url/);
    expect(() => slack.validate({}, {})).toThrow(/secrets\.url is required/);
    expect(() => slack.validate({ blocks: 'yes' }, { url: 'https://h/x' })).toThrow(/settings\.blocks/);
  });
});

describe('Mattermost', () => {
  it('sends markdown text and the optional overrides', () => {
    const p = renderMattermostPayload(FAILED, { username: 'backstop', channel: 'ops', iconUrl: 'https://x/i.png' });
    expect(p).toEqual({ text: expect.stringMatching(/^:x: \*\*Backup of job home on web-1 failed\*\*\n\n/), username: 'backstop', channel: 'ops', icon_url: 'https://x/i.png' });
    expect(p.text).toContain('**Repository:** main (#2)');
    expect(renderMattermostPayload(FAILED)).toEqual({ text: p.text });
  });
  it('validates its fields', () => {
    expect(() => mattermost.validate({ username: 'b', channel: 'town-square' }, { url: 'https://mm.example/hooks/abc' })).not.toThrow();
    expect(() => mattermost.validate({ icon_url: 'x' }, { url: 'https://mm.example/hooks/abc' })).toThrow(/settings\.icon_url/);
    expect(() => mattermost.validate({ iconUrl: 'not a url' }, { url: 'https://mm.example/hooks/abc' })).toThrow(/settings\.iconUrl/);
  });
});

describe('Discord', () => {
  it('sends one embed colored by severity, with no mentions allowed', () => {
    const p = renderDiscordPayload(FAILED, { username: 'Backstop' });
    expect(p.allowed_mentions).toEqual({ parse: [] });
    expect(p.username).toBe('Backstop');
    expect(p.embeds).toHaveLength(1);
    const e = p.embeds[0]!;
    expect(e).toMatchObject({ title: FAILED.title, description: FAILED.text, color: DISCORD_COLORS.error, timestamp: FAILED.occurredAt });
    expect(e.fields).toContainEqual({ name: 'Agent', value: 'web-1', inline: true });
    expect(renderDiscordPayload(withEvent('run.warning', 'warning')).embeds[0]!.color).toBe(DISCORD_COLORS.warning);
    expect(renderDiscordPayload(withEvent('test', 'info')).embeds[0]!.color).toBe(DISCORD_COLORS.info);
  });
  it('keeps within the embed limits', () => {
    const e = renderDiscordPayload(withEvent('run.failed', 'error', { title: 'x'.repeat(1000), text: 'y'.repeat(10_000) })).embeds[0]!;
    expect(e.title).toHaveLength(256);
    expect(e.description).toHaveLength(4096);
  });
  it('validates its fields', () => {
    expect(() => discord.validate({}, { url: 'https://discord.com/api/webhooks/1/abc' })).not.toThrow();
    expect(() => discord.validate({}, { url: 'discord.com/api/webhooks/1/abc' })).toThrow(/secrets\.url is not a valid URL$/);
  });
});
