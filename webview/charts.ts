import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
} from 'chart.js';
import type { ChartName, MetricsView, Series } from '../src/shared/protocol';
import { clock } from './format';
import { readTheme, withAlpha, type Theme } from './theme';

// Only what we draw: keeps the bundle small (and chart.js needs no eval, so the CSP holds).
Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Legend,
  Tooltip,
);

type Kind = ChartName;
type AnyDataset = ChartDataset<'line' | 'bar', Series>;

/**
 * The five charts. They only draw: every number comes computed from the host. Data
 * is replaced in place and redrawn without animation, so a once-a-second update
 * costs a repaint, not a rebuild.
 */
export class Charts {
  private readonly charts = new Map<Kind, Chart<'line' | 'bar', Series, string>>();
  private theme: Theme = readTheme();
  private last?: MetricsView;

  constructor() {
    for (const kind of ['throughput', 'errors', 'duration', 'health', 'queues'] as Kind[]) {
      const canvas = document.getElementById(`chart-${kind}`) as HTMLCanvasElement | null;
      if (canvas)
        this.charts.set(
          kind,
          new Chart(canvas, {
            type: kind === 'health' ? 'bar' : 'line',
            data: { labels: [], datasets: [] },
            options: this.options(kind),
          }),
        );
    }
  }

  /** The theme changed: new colours everywhere. */
  retheme(): void {
    this.theme = readTheme();
    for (const [kind, chart] of this.charts) chart.options = this.options(kind);
    if (this.last) this.update(this.last);
  }

  update(m: MetricsView): void {
    this.last = m;
    const t = this.theme;
    const labels = m.times.map((ts) => clock(ts, m.bucketMs < 60_000));
    const line = (
      label: string,
      data: Series,
      color: string,
      extra: Partial<ChartDataset<'line', Series>> = {},
    ): AnyDataset => ({
      type: 'line',
      label,
      data,
      borderColor: color,
      backgroundColor: withAlpha(color, 0.15),
      borderWidth: t.highContrast ? 2.5 : 1.75,
      // A bucket with no neighbour draws no line segment: it gets a dot, or one lone minute is invisible.
      pointRadius: (ctx: { dataIndex: number }) => (isolated(data, ctx.dataIndex) ? (t.highContrast ? 4 : 3) : 0),
      pointBackgroundColor: color,
      pointHitRadius: 6,
      // Monotone: the curve never overshoots, so a chart never shows a rate that did not happen (below 0, above a
      // peak).
      cubicInterpolationMode: 'monotone',
      spanGaps: false,
      ...extra,
    });

    const fleetLabel = m.worker ? 'Fleet' : 'Fleet total';
    const seen = new Set<string>();
    const sharedNames = new Set<string>();
    for (const w of m.throughput.workers) (seen.has(w.name) ? sharedNames : seen).add(w.name);
    this.set('throughput', labels, [
      line(fleetLabel, m.throughput.fleet, t.blue, { borderWidth: t.highContrast ? 3 : 2.25, fill: 'origin' }),
      ...m.throughput.workers.map((w, i) =>
        // Replicas may share a name: the legend then tells them apart by id.
        line(
          sharedNames.has(w.name) && w.id !== w.name ? `${w.name} (${w.id})` : w.name,
          w.values,
          t.palette[i % t.palette.length]!,
          { borderDash: i >= t.palette.length ? [4, 3] : undefined },
        ),
      ),
    ]);
    this.set('errors', labels, [
      {
        type: 'bar',
        label: m.worker ? `${m.worker} errors / min` : 'Errors / min',
        data: m.errors.perMinute,
        backgroundColor: withAlpha(t.red, t.highContrast ? 1 : 0.7),
        borderColor: t.red,
        borderWidth: t.highContrast ? 1 : 0,
        yAxisID: 'y',
        order: 2,
      },
      line('Error rate %', m.errors.ratePct, t.orange, { yAxisID: 'y1', order: 1 }),
    ]);
    this.set('duration', labels, [
      line('p50', m.duration.p50, t.blue),
      line('p95', m.duration.p95, t.purple, { borderDash: [5, 3] }),
    ]);
    this.set(
      'health',
      labels,
      m.health.map((h) => ({
        type: 'bar',
        label: h.state,
        data: h.values,
        backgroundColor: withAlpha(t.health[h.state], t.highContrast ? 1 : 0.8),
        borderColor: t.health[h.state],
        borderWidth: t.highContrast ? 1 : 0,
        stack: 'health',
        // Full-width bars: a few samples in a long window are blocks, not hairlines.
        barPercentage: 1,
        categoryPercentage: 0.9,
      })),
    );
    const fig = document.getElementById('fig-queues');
    if (fig) fig.hidden = m.queues.length === 0;
    this.set(
      'queues',
      labels,
      m.queues.map((q, i) => line(q.name, q.values, [t.blue, t.orange, t.green, t.purple][i % 4]!)),
    );
    for (const kind of this.charts.keys()) this.note(kind, m.notes?.[kind]);
  }

  /** What an empty chart waits for, over its axes (textContent: it may carry store words some day). */
  private note(kind: Kind, text: string | undefined): void {
    const box = document.getElementById(`chart-${kind}`)?.parentElement;
    if (!box) return;
    let el = box.querySelector<HTMLElement>('.chart-note');
    if (!text) {
      el?.remove();
      return;
    }
    if (!el) {
      el = document.createElement('div');
      el.className = 'chart-note';
      el.setAttribute('role', 'note');
      box.append(el);
    }
    if (el.textContent !== text) el.textContent = text;
  }

  private set(kind: Kind, labels: string[], datasets: AnyDataset[]): void {
    const chart = this.charts.get(kind);
    if (!chart) return;
    chart.data.labels = labels;
    // Keep dataset objects by label: chart.js then updates them instead of rebuilding.
    // Each old object is reused once at most, so two series with one label never merge.
    const old = new Map<unknown, (typeof chart.data.datasets)[number][]>();
    for (const d of chart.data.datasets) old.set(d.label, [...(old.get(d.label) ?? []), d]);
    chart.data.datasets = datasets.map((d) => {
      const prev = old.get(d.label)?.shift();
      return prev ? Object.assign(prev, d) : d;
    }) as typeof chart.data.datasets;
    chart.update('none');
  }

  /**
   * Dataset sizes per chart, for tests and diagnostics. `drawn`: values above zero (each is a
   * segment end, a bar, or a lone bucket's dot: all visible); `note`: the empty-chart text.
   */
  summary(): Record<
    string,
    { datasets: number; points: number; drawn: number; color?: string; labels: string[]; note?: string }
  > {
    const out: Record<
      string,
      { datasets: number; points: number; drawn: number; color?: string; labels: string[]; note?: string }
    > = {};
    for (const [kind, chart] of this.charts) {
      const points = chart.data.datasets.reduce((n, d) => n + d.data.filter((v) => v !== null).length, 0);
      const drawn = chart.data.datasets.reduce((n, d) => n + d.data.filter((v) => v !== null && v > 0).length, 0);
      const labels = chart.data.datasets.map((d) => String(d.label));
      const note = chart.canvas?.parentElement?.querySelector('.chart-note')?.textContent ?? undefined;
      out[kind] = {
        datasets: chart.data.datasets.length,
        points,
        drawn,
        color: chart.data.datasets[0]?.borderColor as string | undefined,
        labels,
        ...(note ? { note } : {}),
      };
    }
    return out;
  }

  private options(kind: Kind) {
    const t = this.theme;
    const axis = (extra: Record<string, unknown> = {}) => ({
      grid: { color: t.grid, drawTicks: false },
      border: { color: t.grid },
      ticks: { color: t.muted, font: { family: t.font, size: 11 }, padding: 6, maxTicksLimit: 6 },
      ...extra,
    });
    const stacked = kind === 'health';
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false as const,
      normalized: true,
      interaction: { mode: 'index' as const, intersect: false },
      color: t.foreground,
      font: { family: t.font },
      plugins: {
        legend: {
          display: true,
          position: 'bottom' as const,
          labels: { color: t.foreground, boxWidth: 10, boxHeight: 10, font: { family: t.font, size: 11 } },
        },
        tooltip: { enabled: true },
      },
      scales: {
        x: axis({
          stacked,
          ticks: {
            color: t.muted,
            font: { family: t.font, size: 11 },
            maxTicksLimit: 7,
            maxRotation: 0,
            autoSkip: true,
          },
        }),
        y: axis({ stacked, beginAtZero: true, ...(kind === 'errors' ? { position: 'left' } : {}) }),
        ...(kind === 'errors'
          ? { y1: axis({ position: 'right', beginAtZero: true, suggestedMax: 10, grid: { drawOnChartArea: false } }) }
          : {}),
      },
    };
  }
}

/** A value with no value on either side: a line draws nothing for it. */
function isolated(data: Series, i: number): boolean {
  return data[i] !== null && data[i] !== undefined && (data[i - 1] ?? null) === null && (data[i + 1] ?? null) === null;
}
