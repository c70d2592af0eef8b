import type { MetricsView, Series } from '../shared/protocol';

/**
 * The chart window as a file (seed 002's `worker-performance export metrics.csv`):
 * one row per bucket, the same numbers the charts draw.
 */
export function metricsToCsv(v: MetricsView): string {
  const cols: { name: string; values: Series }[] = [
    { name: 'completed_per_min', values: v.throughput.fleet },
    { name: 'errors_per_min', values: v.errors.perMinute },
    { name: 'error_rate_pct', values: v.errors.ratePct },
    { name: 'duration_p50_s', values: v.duration.p50 },
    { name: 'duration_p95_s', values: v.duration.p95 },
    ...v.health.map((h) => ({ name: `workers_${h.state}`, values: h.values })),
    ...v.queues.map((q) => ({ name: `queue_${q.name}`, values: q.values })),
    ...v.throughput.workers.map((w) => ({ name: `completed_per_min_${w.name}`, values: w.values })),
  ];
  const lines = [['time', ...cols.map((c) => c.name)].map(csvCell).join(',')];
  v.times.forEach((t, i) => {
    lines.push([new Date(t).toISOString(), ...cols.map((c) => num(c.values[i]))].map(csvCell).join(','));
  });
  return `${lines.join('\r\n')}\r\n`;
}

export function metricsToJson(v: MetricsView, meta: { connection?: string; exportedAt?: number } = {}): string {
  const exportedAt = new Date(meta.exportedAt ?? Date.now()).toISOString();
  return `${JSON.stringify({ exportedAt, connection: meta.connection, ...v }, null, 2)}\n`;
}

function num(x: number | null | undefined): string {
  if (x === null || x === undefined) return '';
  return String(Math.round(x * 1000) / 1000);
}

/**
 * RFC 4180 quoting, plus a leading `'` on text a spreadsheet would run as a formula
 * (`=`, `+`, `-`, `@`): worker and queue names come from the store, not from us.
 */
export function csvCell(s: string): string {
  let v = s;
  if (/^[=+\-@\t\r]/.test(v) && !/^-?\d+(\.\d+)?$/.test(v)) v = `'${v}`;
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
