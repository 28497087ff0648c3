import type { Client } from '@temporalio/client';
import type { Catalog } from '../catalog/catalog';
import type { SecretBox } from '../core/secrets';
import type { BackupEngine } from '../contract/engine';
import type { Logger } from '../core/logger';
import type { RestoreApprovalMode } from '../core/config';
import type { TokenIdentity, Identity } from '../catalog/identity';
import type { RunLogWriter } from '../catalog/run-log-writer';
import type { CertificateAuthority } from '../core/pki';
import type { operations } from '../contract/generated/api-schema';

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
  restoreApproval: RestoreApprovalMode;
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
  /** How long the notification test button waits for the receiver (BACKSTOP_NOTIFY_TIMEOUT_MS); default 15 s. */
  notifyTimeoutMs?: number;
  /** Agent identity: bootstrap tokens, certificates, heartbeats. Absent: enrollment answers 404. */
  agentIdentity?: Identity;
  /** The internal CA and how it signs agent certificates. */
  pki?: ApiPki;
  /** The console's session cookie carries Secure (the API is reached over HTTPS). */
  consoleCookieSecure?: boolean;
  /** The Temporal Web UI the console links runs to (BACKSTOP_TEMPORAL_UI_URL); null: no link. */
  temporalUiUrl?: string | null;
}

export interface ApiPki {
  ca: CertificateAuthority;
  /** BACKSTOP_AGENT_CERT_LIFETIME_MS. */
  agentCertLifetimeMs: number;
  /** Where agents reach the mTLS listener (BACKSTOP_API_TLS_URL); null when it is off. */
  mtlsUrl: string | null;
}

/**
 * openapi-typescript renders a free-form object (`type: object` without properties, e.g. a
 * plugin's settings) as `Record<string, never>`, which no value but `{}` satisfies; the
 * spec means any JSON object.
 */
type FreeForm<T> = T extends readonly (infer E)[]
  ? FreeForm<E>[]
  : T extends object
    ? string extends keyof T
      ? [T[string]] extends [never]
        ? Record<string, unknown>
        : T
      : { [P in keyof T]: FreeForm<T[P]> }
    : T;

/** Every operation of the spec, by operationId. */
export type OperationId = keyof operations;

/** Nothing: the shape of an absent parameter group. */
type None = Record<never, never>;
/** `T` without `undefined`, or `Else` when nothing is left (`path?: never` and the like). */
type Present<T, Else> = [Exclude<T, undefined>] extends [never] ? Else : Exclude<T, undefined>;
type Parameters_<K extends OperationId> = operations[K]['parameters'];

/**
 * Query parameters whose schema has a default: the validator fills it in (ajv
 * `useDefaults`), so the handler always sees a value. Checked against the spec in
 * typed-handlers.test.ts.
 */
export const QUERY_DEFAULTS = {
  listRuns: ['limit'],
  listSnapshots: ['limit'],
  getSnapshotTree: ['limit'],
  getRunLog: ['afterSeq', 'limit'],
  streamRunLog: ['afterSeq'],
  getSnapshotMount: ['waitSeconds'],
  unmountSnapshot: ['waitSeconds'],
  getGuestDiskMount: ['waitSeconds'],
  unmountGuestDisk: ['waitSeconds'],
  getGuestDiskExport: ['waitSeconds'],
  releaseGuestDiskExport: ['waitSeconds'],
} as const satisfies { [K in OperationId]?: ReadonlyArray<keyof Present<Parameters_<K>['query'], None>> };

type Defaulted<K extends OperationId> = K extends keyof typeof QUERY_DEFAULTS ? (typeof QUERY_DEFAULTS)[K][number] : never;
type WithRequired<T, P extends PropertyKey> = Omit<T, P> & { [Q in P & keyof T]-?: Exclude<T[Q], undefined> };

/** The validated path and header parameters (header names as the spec spells them). */
export type PathParams<K extends OperationId> = Present<Parameters_<K>['path'], None> & Present<Parameters_<K>['header'], None>;
/** The validated query, with defaulted parameters always present. */
export type QueryParams<K extends OperationId> = WithRequired<Present<Parameters_<K>['query'], None>, Defaulted<K>>;
/** The validated JSON body; `undefined` where the body is optional and none was sent, or where there is none. */
export type RequestBody<K extends OperationId> = [NonNullable<operations[K]['requestBody']>] extends [never]
  ? undefined
  : NonNullable<operations[K]['requestBody']> extends { content: { 'application/json': infer B } }
    ? undefined extends operations[K]['requestBody']
      ? B | undefined
      : B
    : never;

/** What a handler gets: the request as validated against operation `K`, and who asked. */
export interface HandlerInput<K extends OperationId = OperationId> {
  params: PathParams<K>;
  query: QueryParams<K>;
  body: FreeForm<RequestBody<K>>;
  identity: TokenIdentity;
}

/** Headers a JSON or empty answer adds (the console's Set-Cookie, Cache-Control); the spec declares them. */
type ResponseHeaders = Record<string, string>;

type StreamBody = (out: NodeJS.WritableStream, signal: AbortSignal) => Promise<void>;

/** One declared response: a JSON body as the spec says, no body (204), or a streamed one. */
type ResponseFor<S, R> = R extends { content: { 'application/json': infer B } }
  ? { status: S; body: FreeForm<B>; headers?: ResponseHeaders }
  : R extends { content?: never }
    ? { status: S; body: undefined; headers?: ResponseHeaders }
    : { status: S; body: null; headers: Record<string, string>; stream: StreamBody };

type Responses<K extends OperationId> = operations[K]['responses'];
/** The status codes operation `K` declares (`default`, the problem document, comes from thrown errors). */
export type StatusOf<K extends OperationId> = Extract<keyof Responses<K>, number>;

/** What a handler of `K` answers: one of the operation's declared responses. */
export type ResultOf<K extends OperationId> = { [S in StatusOf<K>]: ResponseFor<S, Responses<K>[S]> }[StatusOf<K>];

/** What the app sends, whatever the operation. */
export interface HandlerResult {
  status: number;
  body: unknown;
  /** Extra response headers (content type and length of a streamed body). */
  headers?: Record<string, string>;
  /**
   * Streams the body instead of sending `body` as JSON: writes into `out` (which the app
   * ends afterwards) and stops when `signal` aborts because the client went away.
   */
  stream?: StreamBody;
}

/** The handler of operation `K`, typed by the spec: its input and every response it may give. */
export type Handler<K extends OperationId> = (ctx: ApiContext, input: HandlerInput<K>) => Promise<ResultOf<K>>;

/** One handler per operation of the spec, each typed by its own operation. */
export type Handlers = { [K in OperationId]: Handler<K> };

/** Keys of an object type, over every member of a union. */
type KeysOf<S> = S extends unknown ? keyof S : never;
/** The type of property `P` over the members of `S` that have it. */
type PropOf<S, P> = S extends unknown ? (P extends keyof S ? S[P] : never) : never;
type ArrayElement<S> = S extends readonly (infer E)[] ? E : never;
type Objects<S> = Exclude<Extract<S, object>, readonly unknown[] | StreamBody>;

/**
 * The paths of properties in `T` that the spec's `S` does not have, at any depth (`never`
 * when there are none). Assignability already refuses a missing or mistyped field; this
 * refuses an extra one, also one that comes from a catalog record rather than an object
 * literal (where TypeScript's excess-property check does not look).
 */
export type ExtraFields<T, S, Path extends string = ''> = T extends readonly (infer E)[]
  ? ExtraFields<E, ArrayElement<S>, `${Path}[]`>
  : T extends StreamBody | Date
    ? never
    : T extends object
      ? string extends KeysOf<Objects<S>>
        ? never // a free-form map (settings, details): any key is allowed
        : { [P in keyof T & string]-?: P extends KeysOf<Objects<S>> ? ExtraFields<T[P], PropOf<Objects<S>, P>, `${Path}.${P}`> : `${Path}.${P}` }[keyof T & string]
      : never;

/** `unknown` (no constraint) when `F` answers no field the spec lacks; otherwise an error naming them. */
type Exactly<F extends (...args: never[]) => Promise<unknown>, K extends OperationId> =
  [ExtraFields<Awaited<ReturnType<F>>, ResultOf<K>>] extends [never] ? unknown : { 'fields the spec does not have': ExtraFields<Awaited<ReturnType<F>>, ResultOf<K>> };

/**
 * Declares the handler of operation `K`. Its input is the request as the spec types it; what
 * it returns must be one of the operation's responses, field for field: a field missing,
 * mistyped or not in the spec fails the typecheck.
 */
export function handler<K extends OperationId, F extends Handler<K>>(_operationId: K, fn: F & Exactly<F, K>): Handler<K> {
  return fn;
}

/** Operations an agent token may call; everything else needs an admin token. */
export const AGENT_OPERATIONS: ReadonlySet<string> = new Set([
  'registerAgent',
  'getAgentRepositorySecret',
  'getHealth',
  'appendAgentRunLog',
  'agentHeartbeat',
  'renewAgentCertificate',
  'issueAgentExportCertificate',
  'getAgentPluginConfig',
]);

/** Operations whose bearer token is a bootstrap token, checked by the handler itself. */
export const BOOTSTRAP_OPERATIONS: ReadonlySet<string> = new Set(['enrollAgent']);

/** Operations anyone may call: console sign-in, whose body carries the token it checks. */
export const PUBLIC_OPERATIONS: ReadonlySet<string> = new Set(['createSession']);
