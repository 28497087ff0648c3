// The API process: catalog, Temporal client, express app.
import type { Server } from 'node:http';
import type { BackstopConfig } from '../core/config';
import { createLogger } from '../core/logger';
import { loadSecretBox } from '../core/secrets';
import { VERSION } from '../core/version';
import { createPool, waitForDatabase } from '../catalog/db';
import { migrate } from '../catalog/migrate';
import { Catalog } from '../catalog/catalog';
import { createEngines } from '../activities/shared/engines/engines';
import { connectClient, onShutdownSignal, waitForSearchAttributes } from '../core/temporal-connection';
import { createApp } from './app';
import type { ApiContext } from './context';
import { reconcileSchedules } from './schedules';
import { RunLogWriter } from '../catalog/run-log-writer';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { projectRoot } from '../core/project-root';
import { createCertificateAuthority } from '../core/pki';
import { startTlsListener } from './tls-listener';
import { answerClientErrors } from './client-error';
import { startMetricsListener } from './metrics/listener';
import { scrapeMetrics } from './metrics/scrape';

export async function runApi(config: BackstopConfig): Promise<void> {
  const logger = createLogger('api');
  if (!config.databaseUrl) throw new Error('DATABASE_URL is required for the API');
  const pool = createPool(config.databaseUrl);
  await waitForDatabase(pool);
  const applied = await migrate(pool);
  if (applied.length) logger.info({ applied }, 'catalog migrated');
  const temporal = await connectClient(config);
  // Runs start with search attributes: without them registered every start would fail.
  await waitForSearchAttributes(temporal.connection, config.temporalNamespace);
  const secrets = loadSecretBox(config, config.dataDir);
  const catalog = new Catalog(pool);
  const ctx: ApiContext = {
    catalog,
    temporal,
    secrets,
    runLog: new RunLogWriter(catalog, secrets),
    staleAfterIntervals: config.staleAfterIntervals,
    notifyTimeoutMs: config.notifyRetry.attemptTimeoutMs,
    engine: createEngines({ stateDir: join(config.dataDir, 'api'), resticCacheDir: join(config.dataDir, 'api-restic-cache') }),
    logger,
    version: VERSION,
    agentScheduleToStartMs: config.agentScheduleToStartMs,
    engineHeartbeatTimeoutMs: config.engineHeartbeatTimeoutMs,
    restoreApproval: config.restoreApproval,
    approvalTimeoutMs: config.approvalTimeoutMs,
    catchupWindowMs: config.catchupWindowMs,
    repositoryRoots: config.repositoryRoots,
    consoleCookieSecure: config.apiUrl.startsWith('https:'),
    temporalUiUrl: config.temporalUiUrl ?? null,
  };
  // The internal CA: made on the first start, its key sealed with the master key.
  ctx.agentIdentity = catalog.identity;
  const ca = await ctx.agentIdentity.ensureCertificateAuthority(secrets, () => createCertificateAuthority());
  ctx.pki = { ca, agentCertLifetimeMs: config.agentCertLifetimeMs, mtlsUrl: config.apiTlsPort > 0 ? config.apiTlsUrl : null };
  // Before serving: Temporal's schedules are made to match the catalog's. A Temporal that is
  // not reachable yet must not keep the API down; the next start-up reconciles again.
  await reconcileSchedules({ temporal, catalog: ctx.catalog, logger, config: ctx }).catch((err: unknown) => logger.error({ err }, 'schedule reconcile failed'));
  // The console is served when it was built (scripts/build.sh); an API without it still serves /v1.
  const consoleDir = join(projectRoot(), 'dist', 'console');
  const app = createApp(ctx, undefined, { validateResponses: config.validateResponses, consoleDir: existsSync(join(consoleDir, 'index.html')) ? consoleDir : undefined });
  if (!existsSync(join(consoleDir, 'index.html'))) logger.warn({ consoleDir }, 'the web console is not built: /ui/ is not served');
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.apiPort, config.apiHost, () => resolve(s));
  });
  // Node closes idle keep-alive sockets after 5 s, the same moment a client (undici keeps
  // them 4 s, plus clock skew) may reuse one: the request then dies with "other side
  // closed". Keep sockets well past any client's idle timeout instead.
  answerClientErrors(server);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  logger.info({ url: config.apiUrl }, 'API listening');
  const tlsServer = config.apiTlsPort > 0 ? await startTlsListener(app, ca, { port: config.apiTlsPort, host: config.apiHost, hostnames: config.apiTlsHostnames }) : null;
  if (tlsServer) logger.info({ url: config.apiTlsUrl }, 'API listening for agents with mTLS');
  // Prometheus metrics, computed from the catalog at each scrape (api/metrics/).
  const metricsServer = config.metricsListen ? await startMetricsListener({ listen: config.metricsListen, token: config.metricsToken, render: () => scrapeMetrics(ctx), logger }) : null;
  if (config.metricsListen) logger.info({ listen: config.metricsListen, token: config.metricsToken !== undefined }, 'metrics listening at /metrics');
  await new Promise<void>((resolve) => onShutdownSignal(resolve));
  await new Promise((r) => server.close(r));
  if (tlsServer) await new Promise((r) => tlsServer.close(r));
  if (metricsServer) await new Promise((r) => metricsServer.close(r));
  await temporal.connection.close();
  await pool.end();
}
