// The server worker: every workflow, and the activities that touch the catalog.
import { Worker } from '@temporalio/worker';
import type { BackstopConfig } from '../core/config';
import { createLogger } from '../core/logger';
import { SERVER_TASK_QUEUE } from '../core/names';
import { createPool, waitForDatabase } from '../catalog/db';
import { Catalog } from '../catalog/store';
import { createServerActivities } from '../activities/server';
import { connectWorker, onShutdownSignal } from './connection';

export async function runServerWorker(config: BackstopConfig): Promise<void> {
  const logger = createLogger('server-worker');
  if (!config.databaseUrl) throw new Error('DATABASE_URL is required for the server worker');
  const pool = createPool(config.databaseUrl);
  await waitForDatabase(pool);
  const connection = await connectWorker(config);
  const worker = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: SERVER_TASK_QUEUE,
    workflowsPath: require.resolve('../workflows'),
    activities: createServerActivities({ catalog: new Catalog(pool), logger }),
    shutdownGraceTime: '10s',
  });
  onShutdownSignal(() => worker.shutdown());
  logger.info({ taskQueue: SERVER_TASK_QUEUE }, 'server worker running');
  try {
    await worker.run();
  } finally {
    await connection.close();
    await pool.end();
  }
}
