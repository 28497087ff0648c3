// The agent's home (BACKSTOP_AGENT_HOME, /etc/backstop-agent by default): its private key
// (0600), its certificate, the internal CA's certificate and a small config. Files are
// replaced atomically (write beside, rename), so a crash mid-renewal leaves the old set.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AgentIdentity {
  agentName: string;
  /** The plain API URL enrollment used. */
  serverUrl: string;
  /** Where the agent talks mTLS to the API. */
  mtlsUrl: string | null;
  keyPem: string;
  certPem: string;
  caPem: string;
}

export const HOME_FILES = { key: 'agent.key', cert: 'agent.crt', ca: 'ca.crt', config: 'agent.json' } as const;

function writeAtomic(path: string, data: string, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

export function loadIdentity(home: string): AgentIdentity | null {
  const configPath = join(home, HOME_FILES.config);
  if (!existsSync(configPath)) return null;
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as { agentName: string; serverUrl: string; mtlsUrl: string | null };
  return {
    ...config,
    keyPem: readFileSync(join(home, HOME_FILES.key), 'utf8'),
    certPem: readFileSync(join(home, HOME_FILES.cert), 'utf8'),
    caPem: readFileSync(join(home, HOME_FILES.ca), 'utf8'),
  };
}

/** Key first, config last: a config on disk means the whole identity is there. */
export function saveIdentity(home: string, id: AgentIdentity): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  writeAtomic(join(home, HOME_FILES.key), id.keyPem, 0o600);
  writeAtomic(join(home, HOME_FILES.cert), id.certPem, 0o644);
  writeAtomic(join(home, HOME_FILES.ca), id.caPem, 0o644);
  writeAtomic(join(home, HOME_FILES.config), JSON.stringify({ agentName: id.agentName, serverUrl: id.serverUrl, mtlsUrl: id.mtlsUrl }, null, 2) + '\n', 0o644);
}
