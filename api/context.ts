import type { Client } from '@temporalio/client';
import type { Catalog } from '../catalog/catalog';
import type { SecretBox } from '../core/secrets';
import type { BackupEngine } from '../contract/engine';
import type { Logger } from '../core/logger';
import type { TokenIdentity } from '../catalog/identity';
import type { RunLogWriter } from '../catalog/run-log-writer';
import type { Identity } from '../catalog/identity';
import type { CertificateAuthority } from '../core/pki';

/** What every route handler may use; built once by the API process. */
export interface ApiContext {
  catalog: Catalog;
  temporal: Client;
  secrets: SecretBox;
  engine: BackupEngine;
  logger: Logger;
  version: string;
  agentScheduleToStartMs: number;
  engineHeartbeatTimeoutMs: number;
  /** Which restores wait for an operator (BACKSTOP_RESTORE_APPROVAL). */
  restoreApproval: 'destructive' | 'always' | 'never';
  /** Longest a restore waits for approval (BACKSTOP_APPROVAL_TIMEOUT_MS). */
  approvalTimeoutMs: number;
  /** How long after a missed scheduled backup its agent's return still starts a catch-up run (BACKSTOP_CATCHUP_WINDOW_MS). */
  catchupWindowMs: number;
  /** Where local repositories may be (BACKSTOP_REPOSITORY_ROOTS); default `/`. */
  repositoryRoots: readonly string[];
  /** Stores agents' run log lines, redacted. */
  runLog: RunLogWriter;
  /** BACKSTOP_STALE_AFTER_INTERVALS. */
  staleAfterIntervals: number;
  /** How often a live log tail looks for new lines; default 500 ms. */
  logTailPollMs?: number;
  /** Agent identity: bootstrap tokens, certificates, heartbeats. Absent: enrollment answers 404. */
  agentIdentity?: Identity;
  /** The internal CA and how it signs agent certificates. */
  pki?: ApiPki;
}

export interface ApiPki {
  ca: CertificateAuthority;
  /** BACKSTOP_AGENT_CERT_LIFETIME_MS. */
  agentCertLifetimeMs: number;
  /** Where agents reach the mTLS listener (BACKSTOP_API_TLS_URL); null when it is off. */
  mtlsUrl: string | null;
}

export interface HandlerInput {
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  body: unknown;
  identity: TokenIdentity;
}

export interface HandlerResult {
  status: number;
  body: unknown;
  /** Extra response headers (content type and length of a streamed body). */
  headers?: Record<string, string>;
  /**
   * Streams the body instead of sending `body` as JSON: writes into `out` (which the app
   * ends afterwards) and stops when `signal` aborts because the client went away.
   */
  stream?: (out: NodeJS.WritableStream, signal: AbortSignal) => Promise<void>;
}

export type Handler = (ctx: ApiContext, input: HandlerInput) => Promise<HandlerResult>;

/** Operations an agent token may call; everything else needs an admin token. */
export const AGENT_OPERATIONS: ReadonlySet<string> = new Set([
  'registerAgent',
  'getAgentRepositorySecret',
  'getHealth',
  'appendAgentRunLog',
  'agentHeartbeat',
  'renewAgentCertificate',
  'getAgentPluginConfig',
]);

/** Operations whose bearer token is a bootstrap token, checked by the handler itself. */
export const BOOTSTRAP_OPERATIONS: ReadonlySet<string> = new Set(['enrollAgent']);

export const ok = (body: unknown): HandlerResult => ({ status: 200, body });
export const created = (body: unknown): HandlerResult => ({ status: 201, body });
