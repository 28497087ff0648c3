// A job's backups over time as two series (duration, data added), scaled into an SVG box:
// pure, so the scaling is tested without a browser; chart.tsx only draws the points.
import type { components } from '../../contract/generated/api-schema';

type Run = components['schemas']['Run'];

export interface Series {
  /** SVG polyline points, "x,y x,y …", oldest left. */
  points: string;
  /** The same points, one dot each (a single backup draws no line). */
  dots: Array<[number, number]>;
  max: number;
}

export interface JobChart {
  duration: Series;
  bytesAdded: Series;
  /** The runs drawn, oldest first (finished backups with stats). */
  count: number;
  first: string | null;
  last: string | null;
}

/** Scales `values` (in time order) to a width × height box with y growing downwards. */
export function polyline(times: number[], values: number[], width: number, height: number): Series {
  const max = Math.max(0, ...values);
  const t0 = Math.min(...times);
  const span = Math.max(...times) - t0 || 1;
  const dots = values.map((v, i): [number, number] => {
    const x = times.length === 1 ? width / 2 : ((times[i]! - t0) / span) * width;
    const y = height - (max > 0 ? (v / max) * height : 0);
    return [Number(x.toFixed(1)), Number(y.toFixed(1))];
  });
  const points = dots.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  return { points, dots, max };
}

export function jobChart(runs: readonly Run[], width: number, height: number): JobChart {
  const done = runs.filter((r) => r.kind === 'backup' && r.stats).sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  const times = done.map((r) => Date.parse(r.startedAt));
  return {
    duration: polyline(times, done.map((r) => r.stats!.durationSeconds), width, height),
    bytesAdded: polyline(times, done.map((r) => r.stats!.dataAdded), width, height),
    count: done.length,
    first: done[0]?.startedAt ?? null,
    last: done.at(-1)?.startedAt ?? null,
  };
}
