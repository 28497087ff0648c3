// The express app: auth, strict validation and one handler per OpenAPI operation.
import express, { type NextFunction, type Request, type Response } from 'express';
import { type ApiContext, type HandlerResult, type Handlers, type OperationId } from './context';
import type { TokenIdentity } from '../catalog/identity';
import { createAjv, createValidator, type ValidatedRequest } from './validation';
import { listOperations, loadSpec, type OpenApiDocument } from './spec';
import { problemMiddleware, sendProblem } from './problem';
import { createResponseCheck, markOperation, responseContractMiddleware } from './response-contract';
import * as agents from './routes/agents';
import * as repositories from './routes/repositories';
import * as jobs from './routes/jobs';
import * as runs from './routes/runs';
import * as restore from './routes/restore';
import * as guestRestore from './routes/guest-restore';
import * as guestNbdExport from './routes/guest-nbd-export';
import * as containerRestore from './routes/container-restore';
import * as browse from './routes/browse';
import * as snapshotMount from './routes/snapshot-mount';
import * as guestFileMount from './routes/guest-file-mount';
import * as retention from './routes/retention';
import * as check from './routes/check';
import * as drills from './routes/drills';
import * as s3Sync from './routes/s3-sync';
import * as schedules from './routes/schedules';
import * as runLog from './routes/run-log';
import * as runControl from './routes/run-control';
import * as agentIdentity from './routes/agent-identity';
import { authenticateRequest } from './agent-auth';
import * as pluginConfigs from './routes/plugin-configs';
import * as scripts from './routes/scripts';
import * as pluginRuns from './routes/plugin-runs';
import * as notifications from './routes/notifications';
import * as session from './routes/session';
import { consoleStatic } from './console/static';

export const HANDLERS: Handlers = {
  getHealth: runs.getHealth,
  // web console sign-in (issue 20)
  createSession: session.createSession,
  getSession: session.getSession,
  deleteSession: session.deleteSession,
  listAgents: agents.listAgents,
  registerAgent: agents.registerAgent,
  listRepositories: repositories.listRepositories,
  createRepository: repositories.createRepository,
  getRepository: repositories.getRepository,
  updateRepository: repositories.updateRepository,
  deleteRepository: repositories.deleteRepository,
  getAgentRepositorySecret: repositories.getAgentRepositorySecret,
  putS3SyncTarget: s3Sync.putS3SyncTarget,
  getS3SyncTarget: s3Sync.getS3SyncTarget,
  deleteS3SyncTarget: s3Sync.deleteS3SyncTarget,
  runS3Sync: s3Sync.runS3Sync,
  listJobs: jobs.listJobs,
  createJob: jobs.createJob,
  getJob: jobs.getJob,
  updateJob: jobs.updateJob,
  deleteJob: jobs.deleteJob,
  runJob: jobs.runJob,
  setJobRetention: retention.setJobRetention,
  previewRetention: retention.previewRetention,
  pruneRepository: retention.pruneRepository,
  checkRepository: check.checkRepository,
  runJobDrill: drills.runJobDrill,
  getJobDrill: drills.getJobDrill,
  setJobDrill: drills.setJobDrill,
  listRuns: runs.listRuns,
  getRun: runs.getRun,
  listSnapshots: runs.listSnapshots,
  restoreSnapshot: restore.restoreSnapshot,
  restoreGuestSnapshot: guestRestore.restoreGuestSnapshot,
  exportGuestDisk: guestNbdExport.exportGuestDisk,
  getGuestDiskExport: guestNbdExport.getGuestDiskExport,
  releaseGuestDiskExport: guestNbdExport.releaseGuestDiskExport,
  restoreContainerSnapshot: containerRestore.restoreContainerSnapshot,
  approveRun: restore.approveRun,
  rejectRun: restore.rejectRun,
  getSnapshotTree: browse.getSnapshotTree,
  getSnapshotFile: browse.getSnapshotFile,
  mountSnapshot: snapshotMount.mountSnapshot,
  getSnapshotMount: snapshotMount.getSnapshotMount,
  unmountSnapshot: snapshotMount.unmountSnapshot,
  mountGuestDisk: guestFileMount.mountGuestDisk,
  getGuestDiskMount: guestFileMount.getGuestDiskMount,
  unmountGuestDisk: guestFileMount.unmountGuestDisk,
  setJobSchedule: schedules.setJobSchedule,
  deleteJobSchedule: schedules.deleteJobSchedule,
  pauseJobSchedule: schedules.pauseJobSchedule,
  resumeJobSchedule: schedules.resumeJobSchedule,
  pauseJobDrillSchedule: schedules.pauseJobDrillSchedule,
  resumeJobDrillSchedule: schedules.resumeJobDrillSchedule,
  triggerJobSchedule: schedules.triggerJobSchedule,
  backfillJobSchedule: schedules.backfillJobSchedule,
  setRepositorySchedule: schedules.setRepositorySchedule,
  getRepositorySchedule: schedules.getRepositorySchedule,
  deleteRepositorySchedule: schedules.deleteRepositorySchedule,
  pauseRepositorySchedule: schedules.pauseRepositorySchedule,
  resumeRepositorySchedule: schedules.resumeRepositorySchedule,
  triggerRepositorySchedule: schedules.triggerRepositorySchedule,
  backfillRepositorySchedule: schedules.backfillRepositorySchedule,
  getRunLog: runLog.getRunLog,
  streamRunLog: runLog.streamRunLog,
  appendAgentRunLog: runLog.appendAgentRunLog,
  cancelRun: runControl.cancelRun,
  revokeAgent: agentIdentity.revokeAgent,
  listAgentTokens: agentIdentity.listAgentTokens,
  createAgentToken: agentIdentity.createAgentToken,
  revokeAgentToken: agentIdentity.revokeAgentToken,
  enrollAgent: agentIdentity.enrollAgent,
  renewAgentCertificate: agentIdentity.renewAgentCertificate,
  issueAgentExportCertificate: agentIdentity.issueAgentExportCertificate,
  agentHeartbeat: agentIdentity.agentHeartbeat,
  // plugins and scripts (issue 5)
  listPluginConfigs: pluginConfigs.listPluginConfigs,
  createPluginConfig: pluginConfigs.createPluginConfig,
  getPluginConfig: pluginConfigs.getPluginConfig,
  updatePluginConfig: pluginConfigs.updatePluginConfig,
  deletePluginConfig: pluginConfigs.deletePluginConfig,
  getJobPlugins: pluginConfigs.getJobPlugins,
  setJobPlugins: pluginConfigs.setJobPlugins,
  getAgentPluginConfig: pluginConfigs.getAgentPluginConfig,
  listScripts: scripts.listScripts,
  createScript: scripts.createScript,
  getScript: scripts.getScript,
  updateScript: scripts.updateScript,
  deleteScript: scripts.deleteScript,
  getJobScripts: scripts.getJobScripts,
  setJobScripts: scripts.setJobScripts,
  testPluginConfig: pluginRuns.testPluginConfig,
  restoreDatabase: pluginRuns.restoreDatabase,
  // notifications (issue 15)
  listNotificationChannels: notifications.listNotificationChannels,
  createNotificationChannel: notifications.createNotificationChannel,
  getNotificationChannel: notifications.getNotificationChannel,
  updateNotificationChannel: notifications.updateNotificationChannel,
  deleteNotificationChannel: notifications.deleteNotificationChannel,
  testNotificationChannel: notifications.testNotificationChannel,
  listNotificationRules: notifications.listNotificationRules,
  createNotificationRule: notifications.createNotificationRule,
  getNotificationRule: notifications.getNotificationRule,
  deleteNotificationRule: notifications.deleteNotificationRule,
};

const BODY_LIMIT = '256kb';

const isOperationId = (id: string): id is OperationId => Object.hasOwn(HANDLERS, id);

/** What the app calls: any handler, its input as the validator produced it. */
type ValidatedHandler = (ctx: ApiContext, input: ValidatedRequest & { identity: TokenIdentity }) => Promise<HandlerResult>;

/**
 * The handler of `operationId`, for a request already validated against that operation's
 * schema. The one place the spec's types meet a request at run time: TypeScript cannot
 * connect an operationId read from the spec to its handler's input type, and
 * createValidator checks exactly what that type says, so the cast is the validator's word.
 */
function handlerFor(operationId: string): ValidatedHandler | undefined {
  return isOperationId(operationId) ? (HANDLERS[operationId] as ValidatedHandler) : undefined;
}

/**
 * A streamed body: the headers go out with the first chunk the handler writes. A failure
 * after that cannot become a problem document any more, so the connection is cut
 * (the client sees a short body against its Content-Length) and the error is logged.
 */
async function sendStream(res: Response, result: HandlerResult, logger: ApiContext['logger']): Promise<void> {
  const gone = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  res.status(result.status).set(result.headers ?? {});
  try {
    await result.stream!(res, gone.signal);
    res.end();
  } catch (err) {
    // Nothing written yet (headers go out with the first chunk): still a normal problem.
    if (!res.headersSent) {
      for (const name of Object.keys(result.headers ?? {})) res.removeHeader(name);
      throw err;
    }
    if (!gone.signal.aborted) logger.error({ err }, 'streamed response failed');
    res.destroy();
  }
}

export interface AppOptions {
  /** Check every JSON answer against the spec (tests and fuzzing; see response-contract.ts). */
  validateResponses?: boolean;
  /** The built web console to serve under /ui/ (dist/console); absent: no console. */
  consoleDir?: string;
}

export function createApp(ctx: ApiContext, doc: OpenApiDocument = loadSpec(), options: AppOptions = {}) {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  const ajv = createAjv(doc);
  if (options.validateResponses) {
    const problem = doc.components.responses?.Problem;
    if (!problem) throw new Error('the spec has no shared Problem response');
    app.use(responseContractMiddleware(createResponseCheck(ajv, problem), ctx.logger));
  }
  app.use(express.json({ limit: BODY_LIMIT, strict: true }));

  const authenticate = (operationId: string) => async (req: Request, _res: Response, next: NextFunction) => {
    try {
      req.identity = await authenticateRequest(ctx, req, operationId);
      next();
    } catch (err) {
      next(err);
    }
  };

  const methodsByPath = new Map<string, string[]>();
  for (const op of listOperations(doc)) {
    methodsByPath.set(op.expressPath, [...(methodsByPath.get(op.expressPath) ?? []), op.method.toUpperCase()]);
    const handler = handlerFor(op.operationId);
    if (!handler) throw new Error(`no handler for operation ${op.operationId}`);
    app[op.method](op.expressPath, markOperation(op), authenticate(op.operationId), createValidator(ajv, op), async (req: Request, res: Response, next: NextFunction) => {
      try {
        const result = await handler(ctx, { ...req.valid!, identity: req.identity! });
        if (result.stream) await sendStream(res, result, ctx.logger);
        else res.status(result.status).set(result.headers ?? {}).json(result.body);
      } catch (err) {
        next(err);
      }
    });
  }

  // A known path asked with a method it does not have: 405 with the methods it has (RFC 9110).
  for (const [path, methods] of methodsByPath) {
    const allow = [...new Set(methods.includes('GET') ? [...methods, 'HEAD'] : methods)].join(', ');
    app.all(path, (req: Request, res: Response) => {
      res.set('Allow', allow);
      sendProblem(res, { type: 'MethodNotAllowedError', title: 'Method not allowed', status: 405, detail: `${req.method} is not allowed on ${req.path}; allowed: ${allow}` });
    });
  }
  if (options.consoleDir) app.use('/ui', consoleStatic(options.consoleDir));
  app.use((req: Request, res: Response) => {
    sendProblem(res, { type: 'NotFoundError', title: 'Not found', status: 404, detail: `no route ${req.method} ${req.path}` });
  });
  app.use(problemMiddleware(ctx.logger));
  return app;
}
