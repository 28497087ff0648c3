// The catalog: one object per aggregate, all on the same Session (the pool, or one
// transaction). Every caller reaches a query the same way, `catalog.<aggregate>.<verb>(…)`;
// `catalog.transaction(tx => …)` hands the same aggregates bound to one transaction, so a
// multi-aggregate write commits or rolls back as a whole.
import type { Pool } from 'pg';
import { poolSession, transactionSession, type Queryable, type Session } from './db';
import { Agents } from './agents';
import { ConsoleSessions } from './console-sessions';
import { Identity } from './identity';
import { Jobs } from './jobs';
import { MetricsReadings } from './metrics';
import { Notifications } from './notifications';
import { PluginConfigs } from './plugin-configs';
import { Repositories } from './repositories';
import { RunLog } from './run-log';
import { Runs } from './runs';
import { Schedules } from './schedules';
import { Scripts } from './scripts';
import { Snapshots } from './snapshots';

export interface CatalogOptions {
  /** The clock an agent's status is decided with; the system clock by default. */
  now?: () => Date;
}

/** The aggregates on one Session: the pool (a Catalog) or an open transaction. */
export class CatalogScope {
  readonly agents: Agents;
  readonly repositories: Repositories;
  readonly jobs: Jobs;
  readonly runs: Runs;
  readonly snapshots: Snapshots;
  readonly schedules: Schedules;
  readonly scripts: Scripts;
  readonly pluginConfigs: PluginConfigs;
  readonly runLog: RunLog;
  readonly identity: Identity;
  /** Read-only aggregates for /metrics. */
  readonly metrics: MetricsReadings;
  readonly notifications: Notifications;
  /** Web console sign-ins (cookie sessions). */
  readonly consoleSessions: ConsoleSessions;

  constructor(
    private readonly session: Session,
    private readonly options: CatalogOptions = {},
  ) {
    this.agents = new Agents(session, options.now ?? (() => new Date()));
    this.repositories = new Repositories(session);
    this.jobs = new Jobs(session);
    this.runs = new Runs(session);
    this.snapshots = new Snapshots(session);
    this.schedules = new Schedules(session);
    this.scripts = new Scripts(session);
    this.pluginConfigs = new PluginConfigs(session);
    this.runLog = new RunLog(session);
    this.identity = new Identity(session);
    this.metrics = new MetricsReadings(session);
    this.notifications = new Notifications(session);
    this.consoleSessions = new ConsoleSessions(session);
  }

  /** Where the queries go: for ad-hoc SQL (readiness checks, tests). */
  get db(): Queryable {
    return this.session.q;
  }

  /**
   * Runs `fn` with the aggregates bound to one transaction; any throw rolls back. Inside a
   * transaction already, `fn` joins it.
   */
  transaction<T>(fn: (tx: CatalogScope) => Promise<T>): Promise<T> {
    return this.session.transaction((client) => fn(new CatalogScope(transactionSession(client), this.options)));
  }
}

/** The catalog on the pool: what processes build once and hand to routes and activities. */
export class Catalog extends CatalogScope {
  constructor(
    readonly pool: Pool,
    options: CatalogOptions = {},
  ) {
    super(poolSession(pool), options);
  }
}
