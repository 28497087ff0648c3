// The express app: auth, strict validation and one handler per OpenAPI operation.
import express, { type NextFunction, type Request, type Response } from 'express';
import { UnauthorizedError } from '../core/errors';
import { AGENT_OPERATIONS, type ApiContext, type Handler } from './context';
import { createAjv, createValidator } from './validation';
import { listOperations, loadSpec, type OpenApiDocument } from './spec';
import { problemMiddleware, sendProblem } from './problem';
import * as agents from './routes/agents';
import * as repositories from './routes/repositories';
import * as jobs from './routes/jobs';
import * as runs from './routes/runs';

export const HANDLERS: Record<string, Handler> = {
  getHealth: runs.getHealth,
  listAgents: agents.listAgents,
  registerAgent: agents.registerAgent,
  listRepositories: repositories.listRepositories,
  createRepository: repositories.createRepository,
  getRepository: repositories.getRepository,
  getAgentRepositorySecret: repositories.getAgentRepositorySecret,
  listJobs: jobs.listJobs,
  createJob: jobs.createJob,
  getJob: jobs.getJob,
  runJob: jobs.runJob,
  listRuns: runs.listRuns,
  getRun: runs.getRun,
  listSnapshots: runs.listSnapshots,
};

const BODY_LIMIT = '256kb';

export function createApp(ctx: ApiContext, doc: OpenApiDocument = loadSpec()) {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(express.json({ limit: BODY_LIMIT, strict: true }));

  const authenticate = (operationId: string) => async (req: Request, _res: Response, next: NextFunction) => {
    try {
      const header = req.headers.authorization ?? '';
      const m = /^Bearer (\S+)$/.exec(header);
      const identity = m ? await ctx.catalog.findToken(m[1]!) : null;
      if (!identity) throw new UnauthorizedError();
      if (identity.scope === 'agent' && !AGENT_OPERATIONS.has(operationId)) throw new UnauthorizedError('agent tokens cannot call this operation');
      req.identity = identity;
      next();
    } catch (err) {
      next(err);
    }
  };

  const ajv = createAjv(doc);
  for (const op of listOperations(doc)) {
    const handler = HANDLERS[op.operationId];
    if (!handler) throw new Error(`no handler for operation ${op.operationId}`);
    app[op.method](op.expressPath, authenticate(op.operationId), createValidator(ajv, op), async (req: Request, res: Response, next: NextFunction) => {
      try {
        const result = await handler(ctx, { ...req.valid!, identity: req.identity! });
        res.status(result.status).json(result.body);
      } catch (err) {
        next(err);
      }
    });
  }

  app.use((req: Request, res: Response) => {
    sendProblem(res, { type: 'NotFoundError', title: 'Not found', status: 404, detail: `no route ${req.method} ${req.path}` });
  });
  app.use(problemMiddleware(ctx.logger));
  return app;
}
