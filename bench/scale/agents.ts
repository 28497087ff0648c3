// Bench-only launcher: many agent workers in one process, one Worker per agent.<name>
// queue, each built with the same activity factory as workers/agent/agent-worker.ts. A real fleet runs
// one agent per machine; here they share a machine and an event loop, each with its own
// Temporal connection as a real agent has.
//
// Environment: the usual BACKSTOP_* of an agent (Temporal address, API URL, data dir,
// stall/cancel settings), plus BENCH_AGENTS_JSON = [{"name": …, "token": …}, …] (each
// already registered) and BENCH_AGENT_CONCURRENCY (activities at once per agent, default 2).
import { DefaultLogger, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import { loadConfig } from '../../core/config';
import { createLogger } from '../../core/logger';
import { agentTaskQueue } from '../../contract/names';
import { connectWorker, onShutdownSignal } from '../../core/temporal-connection';
import { agentWorkerActivities } from '../../workers/agent/agent-worker';
import { BearerAgentHttp } from '../../activities/agent/api-http';

async function main(): Promise<void> {
  const agents = JSON.parse(process.env.BENCH_AGENTS_JSON ?? '[]') as Array<{ name: string; token: string }>;
  if (agents.length === 0) throw new Error('BENCH_AGENTS_JSON names no agent');
  const concurrency = Number(process.env.BENCH_AGENT_CONCURRENCY ?? '2');
  // BENCH_SDK_LOG_LEVEL=DEBUG shows every activity the SDK starts and completes.
  const sdkLevel = process.env.BENCH_SDK_LOG_LEVEL as LogLevel | undefined;
  if (sdkLevel) Runtime.install({ logger: new DefaultLogger(sdkLevel) });
  const base = loadConfig();
  const connections = await Promise.all(agents.map(() => connectWorker(base)));
  const workers = await Promise.all(
    agents.map(({ name, token }, i) => {
      const config = { ...base, agentName: name };
      const logger = createLogger('agent').child({ agent: name });
      return Worker.create({
        connection: connections[i]!,
        namespace: config.temporalNamespace,
        taskQueue: agentTaskQueue(name),
        activities: agentWorkerActivities(config, new BearerAgentHttp(config.apiUrl, token), logger),
        maxConcurrentActivityTaskExecutions: concurrency,
        shutdownGraceTime: '20s',
      });
    }),
  );
  onShutdownSignal(() => workers.forEach((w) => w.shutdown()));
  process.stderr.write(`[agents] ${workers.length} agent workers running\n`);
  try {
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    await Promise.all(connections.map((c) => c.close()));
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`agents failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
