import { exposition } from './exposition';

describe('exposition', () => {
  it('writes Prometheus text: HELP, TYPE, samples, histogram series under their own names', async () => {
    const text = await exposition([
      { name: 'backstop_job_stale', help: 'Whether stale.', type: 'gauge', values: [{ labels: { job_id: '1', job: 'home' }, value: 1 }] },
      {
        name: 'backstop_run_duration_seconds',
        help: 'Durations.',
        type: 'histogram',
        values: [
          { metricName: 'backstop_run_duration_seconds_bucket', labels: { kind: 'backup', le: '+Inf' }, value: 2 },
          { metricName: 'backstop_run_duration_seconds_count', labels: { kind: 'backup' }, value: 2 },
        ],
      },
    ]);
    expect(text).toContain('# HELP backstop_job_stale Whether stale.\n# TYPE backstop_job_stale gauge\nbackstop_job_stale{job_id="1",job="home"} 1\n');
    expect(text).toContain('# TYPE backstop_run_duration_seconds histogram\n');
    expect(text).toContain('backstop_run_duration_seconds_bucket{kind="backup",le="+Inf"} 2\n');
    expect(text).toContain('backstop_run_duration_seconds_count{kind="backup"} 2\n');
  });

  it('escapes label values an operator chose (quotes, backslashes, newlines in a job name)', async () => {
    const text = await exposition([{ name: 'backstop_job_stale', help: 'h', type: 'gauge', values: [{ labels: { job: 'a "b"\\c\nd' }, value: 0 }] }]);
    expect(text).toContain('backstop_job_stale{job="a \\"b\\"\\\\c\\nd"} 0');
  });

  it('writes a family without samples as HELP and TYPE only', async () => {
    const text = await exposition([{ name: 'backstop_x_total', help: 'h', type: 'counter', values: [] }]);
    expect(text).toBe('# HELP backstop_x_total h\n# TYPE backstop_x_total counter\n');
  });
});
