// Families in Prometheus' text format, written by prom-client. A fresh registry per scrape:
// the values come from the catalog each time, so nothing is kept between scrapes and every
// API process answers alike.
import { Registry, type Metric } from 'prom-client';
import type { Family } from './families';

export const CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

export async function exposition(families: readonly Family[]): Promise<string> {
  const registry = new Registry();
  for (const f of families) {
    // prom-client's own metric classes accumulate observations; ours are computed already
    // (histogram buckets counted by SQL), so each family is the plain object the registry
    // reads through `get()`. Its type asks for one of the classes: the registry only ever
    // calls name and get (prom-client 15 lib/registry.js).
    const metric = { name: f.name, help: f.help, type: f.type, aggregator: 'sum', get: () => Promise.resolve({ ...f, aggregator: 'sum' }) };
    registry.registerMetric(metric as unknown as Metric);
  }
  return registry.metrics();
}
