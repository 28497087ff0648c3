// The Temporal SDK's runtime of a worker process, with its Prometheus exporter when
// BACKSTOP_TEMPORAL_METRICS_LISTEN asks for one. The runtime is a process-wide singleton that
// the first NativeConnection creates with defaults, so this must run before connectWorker.
import type { RuntimeOptions } from '@temporalio/worker';
import type { ListenAddress } from './config';
import type { Logger } from './logger';

/** `host:port` as the SDK's exporter binds it (IPv6 in brackets). */
export function bindAddressOf(a: ListenAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/**
 * Pure: the runtime options. Only the metrics differ from the SDK's defaults (logging stays
 * as it was). Durations in seconds, as Prometheus' conventions and Temporal's dashboards for
 * the Go SDK expect; counters keep the SDK's names (`temporal_workflow_task_schedule_to_start_latency`
 * and friends as Temporal documents them).
 */
export function temporalRuntimeOptions(listen: ListenAddress, process: string): RuntimeOptions {
  return {
    telemetryOptions: {
      metrics: {
        prometheus: { bindAddress: bindAddressOf(listen), useSecondsForDurations: true },
        // Which Backstop process a series comes from, whatever Prometheus' job label says.
        globalTags: { backstop_process: process },
      },
    },
  };
}

/**
 * Installs the runtime with the exporter when `listen` is set; nothing otherwise (the SDK then
 * makes its default runtime). Loaded lazily, like connectWorker: processes that only need a
 * client never load the worker package.
 */
export async function installTemporalRuntime(listen: ListenAddress | null, process: string, logger: Logger): Promise<void> {
  if (!listen) return;
  const { Runtime } = await import('@temporalio/worker');
  // An address in use throws here ("Failed to start prometheus metrics exporter"): the
  // process stops at start rather than run without the metrics it was asked for.
  Runtime.install(temporalRuntimeOptions(listen, process));
  logger.info({ listen: bindAddressOf(listen) }, 'Temporal SDK metrics listening at /metrics');
}
