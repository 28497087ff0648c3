// Which API the CLI talks to and with which token. Sources, strongest first: flags
// (`--api-url`, `--token`), the environment (BACKSTOP_API_URL, BACKSTOP_TOKEN), the chosen
// profile of the config file, then the embedded stack's defaults (its port and the token
// `backstop up` wrote to data/admin.token). The resolution is pure; reading files is not.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './exit-codes';

/** One `[name]` section of the config file. */
export interface Profile {
  apiUrl?: string;
  token?: string;
  /** A file holding the token, so the config file itself can be shared or kept in git. */
  tokenFile?: string;
}

export type ConfigFile = Record<string, Profile>;

const KEYS: Record<string, keyof Profile> = { 'api-url': 'apiUrl', token: 'token', 'token-file': 'tokenFile' };

/**
 * The config file: INI-style sections, one per profile, `key = value` lines, `#` or `;`
 * comments. Keys outside a section belong to `default`. Unknown keys are errors, so a typo
 * does not silently send the CLI to the wrong server.
 *
 *     [default]
 *     api-url = http://127.0.0.1:8420
 *     [prod]
 *     api-url = https://backstop.example.com
 *     token-file = ~/.config/backstop/prod.token
 */
export function parseConfigFile(text: string, source = 'config'): ConfigFile {
  const profiles: ConfigFile = {};
  let current = 'default';
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const section = /^\[\s*([A-Za-z0-9._-]+)\s*\]$/.exec(line);
    if (section) {
      current = section[1]!;
      profiles[current] ??= {};
      return;
    }
    const kv = /^([a-z-]+)\s*=\s*(.*)$/.exec(line);
    const key = kv ? KEYS[kv[1]!] : undefined;
    if (!kv || !key) throw new UsageError(`${source}:${i + 1}: expected [profile] or one of ${Object.keys(KEYS).join(', ')} = value`);
    (profiles[current] ??= {})[key] = kv[2]!.replace(/^(["'])(.*)\1$/, '$2');
  });
  return profiles;
}

export interface ConnectionInputs {
  flags: { apiUrl?: string; token?: string; profile?: string };
  /** BACKSTOP_API_URL and BACKSTOP_TOKEN as set (core/config.ts reads them). */
  environment: { apiUrl?: string; token?: string };
  /** The parsed config file, or null when there is none. */
  file: ConfigFile | null;
  /** Where the file is, for messages. */
  filePath: string;
  defaults: { apiUrl: string; token?: string };
  /** Reads a profile's token-file (injected: the resolution stays pure). */
  readTokenFile: (path: string) => string;
}

export interface Connection {
  apiUrl: string;
  token: string | undefined;
  /** Where each came from, for `backstop config show`. */
  from: { apiUrl: 'flag' | 'env' | 'profile' | 'default'; token: 'flag' | 'env' | 'profile' | 'default' | 'none' };
  profile: string | null;
}

const blank = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());

export function resolveConnection(i: ConnectionInputs): Connection {
  const asked = i.flags.profile;
  if (asked !== undefined && !i.file?.[asked]) {
    throw new UsageError(`no profile [${asked}] in ${i.filePath}${i.file ? ` (it has: ${Object.keys(i.file).join(', ') || 'none'})` : ' (no such file)'}`);
  }
  const name = asked ?? (i.file?.default ? 'default' : null);
  const profile: Profile = name ? i.file![name]! : {};
  const profileToken = blank(profile.token) ?? (profile.tokenFile ? blank(i.readTokenFile(profile.tokenFile)) : undefined);

  const url: [string | undefined, Connection['from']['apiUrl']][] = [
    [blank(i.flags.apiUrl), 'flag'],
    [blank(i.environment.apiUrl), 'env'],
    [blank(profile.apiUrl), 'profile'],
    [i.defaults.apiUrl, 'default'],
  ];
  const token: [string | undefined, Connection['from']['token']][] = [
    [blank(i.flags.token), 'flag'],
    [blank(i.environment.token), 'env'],
    [profileToken, 'profile'],
    [blank(i.defaults.token), 'default'],
  ];
  const [apiUrl, urlFrom] = url.find(([v]) => v !== undefined)!;
  const [tok, tokenFrom] = token.find(([v]) => v !== undefined) ?? [undefined, 'none' as const];
  return { apiUrl: apiUrl!.replace(/\/+$/, ''), token: tok, from: { apiUrl: urlFrom, token: tokenFrom }, profile: name };
}

/** `$XDG_CONFIG_HOME/backstop/config`, else `~/.config/backstop/config`. */
export function configFilePath(env: NodeJS.ProcessEnv, home = homedir()): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(base, 'backstop', 'config');
}

/** `~/x` in a token-file path, as a shell would read it. */
export const expandHome = (path: string, home = homedir()): string => (path === '~' || path.startsWith('~/') ? join(home, path.slice(1)) : path);

export function readConfigFile(path: string): ConfigFile | null {
  return existsSync(path) ? parseConfigFile(readFileSync(path, 'utf8'), path) : null;
}
