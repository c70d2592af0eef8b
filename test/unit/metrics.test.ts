import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Fleet } from '../../src/core/fleet';
import { binLow, binOf, HIST_BINS, quantile } from '../../src/core/histogram';
import { MetricsStore } from '../../src/core/metrics';
import { csvCell, metricsToCsv, metricsToJson } from '../../src/core/metricsExport';
import { DEFAULT_THRESHOLDS, type WorkerSnapshot, type WorkerView } from '../../src/core/model';
import { BucketRing, RingBuffer } from '../../src/core/ringBuffer';

/** 2026-02-07 21:00:00 UTC: a whole hour, so bucket edges are easy to reason about. */
const T0 = Date.UTC(2026, 1, 7, 21, 0, 0);

function clockAt(t = T0) {
  const c = { now: t, fn: () => c.now };
  return c;
}

function view(id: string, s: Partial<WorkerSnapshot> = {}): WorkerView {
  return { snapshot: { id, name: id, problems: [], ...s }, health: 'healthy', reason: '', stale: false };
}

const nonNull = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null);
const sum = (xs: (number | null)[]) => nonNull(xs).reduce((a, b) => a + b, 0);

describe('RingBuffer', () => {
  it('keeps the newest `capacity` items and counts what it dropped', () => {
    const r = new RingBuffer<number>(10);
    for (let i = 1; i <= 25; i++) r.push(i);
    assert.equal(r.size, 10);
    assert.deepEqual(r.toArray(), [16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    assert.equal(r.dropped, 15);
    assert.equal(r.last(), 25);
  });

  it('takes a batch larger than itself without walking all of it', () => {
    const r = new RingBuffer<number>(3);
    r.pushAll(Array.from({ length: 100_000 }, (_, i) => i));
    assert.deepEqual(r.toArray(), [99_997, 99_998, 99_999]);
    assert.equal(r.dropped, 99_997);
  });

  it('resizes keeping the newest items', () => {
    const r = new RingBuffer<number>(5);
    [1, 2, 3, 4, 5, 6].forEach((x) => r.push(x));
    r.resize(3);
    assert.deepEqual(r.toArray(), [4, 5, 6]);
    r.resize(6);
    r.push(7);
    assert.deepEqual(r.toArray(), [4, 5, 6, 7]);
  });

  it('rejects a capacity below one', () => {
    assert.throws(() => new RingBuffer(0), RangeError);
  });
});

describe('BucketRing', () => {
  it('recycles a slot when its time comes round, and ignores writes older than its span', () => {
    const r = new BucketRing(1000, 4, 1);
    r.add(T0, 0, 5);
    assert.equal(r.get(r.bucketOf(T0), 0), 5);
    r.add(T0 + 4000, 0, 1); // same slot, four buckets later
    assert.equal(r.get(r.bucketOf(T0), 0), 0, 'the old bucket is gone');
    assert.equal(r.get(r.bucketOf(T0 + 4000), 0), 1);
    r.add(T0, 0, 100); // too old now
    assert.equal(r.get(r.bucketOf(T0), 0), 0);
    assert.equal(r.sum(0, r.bucketOf(T0), r.bucketOf(T0 + 4000)), 1);
  });

  it('has a fixed size in bytes', () => {
    const r = new BucketRing(10_000, 30, 3);
    const before = r.byteLength;
    for (let i = 0; i < 100_000; i++) r.add(T0 + i * 997, i % 3, 1);
    assert.equal(r.byteLength, before);
  });
});

describe('histogram percentiles', () => {
  it('reads a single value back within one bin (±25%)', () => {
    for (const ms of [15, 250, 1234, 60_000, 3_600_000]) {
      const c = new Array(HIST_BINS).fill(0);
      c[binOf(ms)]++;
      const q = quantile(c, 0.5)!;
      assert.ok(q >= binLow(binOf(ms)) && q <= binLow(binOf(ms) + 1), `${ms} → ${q}`);
      assert.ok(Math.abs(q - ms) / ms < 0.25, `${ms} → ${q}`);
    }
  });

  it('p50 and p95 of 1..1000 s are within 12%', () => {
    const c = new Array(HIST_BINS).fill(0);
    for (let s = 1; s <= 1000; s++) c[binOf(s * 1000)]++;
    const p50 = quantile(c, 0.5)! / 1000;
    const p95 = quantile(c, 0.95)! / 1000;
    assert.ok(Math.abs(p50 - 500) / 500 < 0.12, `p50 ${p50}`);
    assert.ok(Math.abs(p95 - 950) / 950 < 0.12, `p95 ${p95}`);
    assert.equal(quantile(new Array(HIST_BINS).fill(0), 0.5), undefined);
  });
});

describe('MetricsStore', () => {
  it('counts counter increases after a baseline, as a per-minute rate, leaving out the bucket in progress', () => {
    const c = clockAt();
    const m = new MetricsStore({ clock: c.fn });
    m.observe([view('w1', { completed: 500, errors: 7 })]); // lifetime totals: a baseline, not a burst
    c.now = T0 + 12_000;
    m.observe([view('w1', { completed: 503, errors: 8 })]); // bucket [10s, 20s)
    c.now = T0 + 25_000;
    const v = m.view('5m');
    assert.equal(v.bucketMs, 10_000);
    assert.equal(v.times.length, 30);
    assert.equal(v.times[v.times.length - 1], T0 + 10_000, 'ends with the last complete bucket');
    assert.equal(v.throughput.fleet[v.throughput.fleet.length - 1], 18, '3 in 10 s = 18/min');
    assert.equal(v.errors.perMinute[v.errors.perMinute.length - 1], 6);
    assert.equal(v.errors.ratePct[v.errors.ratePct.length - 1], 25);
    assert.equal(v.totals.completed, 3);
    assert.equal(v.totals.errors, 1);
    assert.equal(v.totals.errorRatePct, 25);
    assert.equal(v.throughput.fleet[0], null, 'before the store started: no data, not zero');
  });

  it('treats a counter that went down as a restart counting from zero', () => {
    const c = clockAt();
    const m = new MetricsStore({ clock: c.fn });
    m.observe([view('w1', { completed: 40 })]);
    c.now += 1000;
    m.observe([view('w1', { completed: 2 })]);
    c.now += 60_000;
    assert.equal(m.view('1h').totals.completed, 2);
  });

  it('puts each event in every window it belongs to', () => {
    const c = clockAt(T0 + 6 * 3_600_000);
    const m = new MetricsStore({ clock: c.fn });
    m.recordEvent({ kind: 'completed', worker: 'w1', ts: c.now - 2 * 3_600_000, durationMs: 1000 }); // 2 h ago
    m.recordEvent({ kind: 'completed', worker: 'w1', ts: c.now - 30 * 60_000, durationMs: 1000 }); // 30 min ago
    m.recordEvent({ kind: 'failed', worker: 'w2', ts: c.now - 60_000 }); // 1 min ago
    assert.equal(m.view('6h').totals.completed, 2);
    assert.equal(m.view('1h').totals.completed, 1);
    assert.equal(m.view('5m').totals.completed, 0);
    assert.equal(m.view('5m').totals.errors, 1);
    assert.equal(m.view('6h').times.length, 72);
    assert.equal(m.view('1h').times.length, 60);
  });

  it('an event stamped in the future counts now, and does not blank the charts', () => {
    const c = clockAt(T0 + 6 * 3_600_000);
    const m = new MetricsStore({ clock: c.fn });
    m.recordEvent({ kind: 'completed', worker: 'w1', ts: c.now + 3 * 3_600_000 }); // a skewed worker, 3 h ahead
    for (let i = 0; i < 5; i++) m.recordEvent({ kind: 'completed', worker: 'w2', ts: c.now - 60_000 });
    c.now += 60_000; // the bucket it landed in is complete, so charted
    assert.equal(m.view('5m').totals.completed, 6);
    assert.equal(m.view('1h').totals.completed, 6);
  });

  it("an event with a count (Sidekiq's fleet-wide counters) counts that many, for the fleet only", () => {
    const c = clockAt(T0 + 3_600_000);
    const m = new MetricsStore({ clock: c.fn });
    m.recordEvent({ kind: 'completed', ts: c.now - 60_000, count: 7 });
    m.recordEvent({ kind: 'failed', ts: c.now - 60_000, count: 2 });
    m.recordEvent({ kind: 'completed', ts: c.now - 60_000, count: Number.NaN }); // garbled: one, as without a count
    c.now += 60_000;
    const v = m.view('1h');
    assert.equal(v.totals.completed, 8);
    assert.equal(v.totals.errors, 2);
    assert.deepEqual(v.throughput.workers, [], 'no worker is invented for a fleet total');
  });

  it('computes p50/p95 per bucket and over the window from stream durations', () => {
    const c = clockAt(T0 + 3_600_000);
    const m = new MetricsStore({ clock: c.fn });
    for (let i = 1; i <= 100; i++)
      m.recordEvent({ kind: 'completed', ts: c.now - 90_000 + i * 100, durationMs: i * 1000 });
    const v = m.view('1h');
    assert.ok(Math.abs(v.totals.p50s! - 50) / 50 < 0.12, `p50 ${v.totals.p50s}`);
    assert.ok(Math.abs(v.totals.p95s! - 95) / 95 < 0.12, `p95 ${v.totals.p95s}`);
    assert.equal(nonNull(v.duration.p50).length, 1, 'one bucket holds them all');
  });

  it('derives durations from a task that ended in a snapshot, when no stream gives them', () => {
    const c = clockAt();
    const m = new MetricsStore({ clock: c.fn });
    m.observe([view('w1', { task: { id: 't1', startedAt: T0 } })]);
    c.now = T0 + 42_000;
    m.observe([view('w1', { lastHeartbeat: T0 + 40_000 })]); // task gone: finished around the last beat
    c.now = T0 + 120_000;
    const p50 = m.view('5m').totals.p50s!;
    assert.ok(Math.abs(p50 - 40) / 40 < 0.12, `p50 ${p50}`);
  });

  it('never counts a task twice when a worker has counters and a completions stream', () => {
    const c = clockAt(T0 + 600_000);
    const m = new MetricsStore({ clock: c.fn });
    m.recordEvent({ kind: 'completed', worker: 'w1', ts: c.now - 300_000 }); // backfilled history: counts
    m.observe([view('w1', { completed: 10 })]);
    c.now += 5000;
    m.observe([view('w1', { completed: 11 })]);
    m.recordEvent({ kind: 'completed', worker: 'w1', ts: c.now }); // the same completion, from the stream
    m.recordEvent({ kind: 'completed', worker: 'w9', ts: c.now }); // a worker without counters: counts
    c.now += 120_000;
    assert.equal(m.view('1h').totals.completed, 3);
  });

  it('samples health as gauges, with gaps where nothing was sampled', () => {
    const c = clockAt();
    const m = new MetricsStore({ clock: c.fn });
    const counts = {
      working: 3,
      healthy: 2,
      slow: 1,
      unresponsive: 0,
      dead: 1,
      missing: 0,
      recovering: 0,
      stopping: 0,
      crashed: 0,
      stopped: 0,
      unknown: 0,
    };
    m.sampleHealth(counts);
    c.now += 5000;
    m.sampleHealth({ ...counts, working: 4 }); // same bucket: last value wins
    c.now += 60_000;
    const v = m.view('5m');
    const working = v.health.find((h) => h.state === 'working')!;
    assert.deepEqual(nonNull(working.values), [4]);
    assert.deepEqual(v.health.map((h) => h.state).sort(), ['dead', 'healthy', 'slow', 'working']);
  });

  it('draws the busiest workers, keeps a bounded number of worker series, and narrows to one worker', () => {
    const c = clockAt();
    const m = new MetricsStore({ clock: c.fn, maxWorkerSeries: 3, topWorkers: 2 });
    for (const [w, n] of [
      ['a', 1],
      ['b', 5],
      ['c', 3],
      ['d', 2],
    ] as const) {
      for (let i = 0; i < n; i++) m.recordEvent({ kind: 'completed', worker: w, ts: c.now });
    }
    assert.equal(m.trackedWorkerSeries, 3, 'a, the least recently active, was evicted');
    c.now += 20_000;
    const v = m.view('5m');
    assert.deepEqual(
      v.throughput.workers.map((w) => w.name),
      ['b', 'c'],
    );
    assert.equal(sum(v.throughput.fleet), 11 * 6, 'the fleet still counts everyone');
    m.recordEvent({ kind: 'failed', worker: 'c', ts: T0 });
    const only = m.view('5m', 'c');
    assert.deepEqual(
      only.throughput.workers.map((w) => w.name),
      ['c'],
    );
    assert.equal(only.totals.completed, 3);
    assert.equal(only.totals.errors, 1);
    assert.equal(only.worker, 'c');
  });

  it('charts queue depth for a bounded number of queues', () => {
    const c = clockAt();
    const m = new MetricsStore({ clock: c.fn, maxQueues: 2 });
    m.recordQueueDepth('pending', 123);
    m.recordQueueDepth('processing', 2);
    m.recordQueueDepth('third', 9);
    c.now += 20_000;
    const v = m.view('5m');
    assert.deepEqual(
      v.queues.map((q) => q.name),
      ['pending', 'processing'],
    );
    assert.deepEqual(nonNull(v.queues[0]!.values), [123]);
  });

  it('holds a fixed amount of memory whatever the number of events', () => {
    const c = clockAt();
    const m = new MetricsStore({ clock: c.fn, maxWorkerSeries: 50 });
    const feed = (n: number) => {
      for (let i = 0; i < n; i++) {
        c.now += 37;
        m.recordEvent({ kind: i % 10 ? 'completed' : 'failed', worker: `w${i % 80}`, ts: c.now, durationMs: i % 5000 });
      }
    };
    feed(10_000);
    const bytes = m.approxBytes();
    feed(200_000); // about two hours of 27 events/s
    assert.equal(m.approxBytes(), bytes);
    assert.equal(m.trackedWorkerSeries, 50);
  });

  it('follows a Fleet: counters from its changes, health from its counts', () => {
    const c = clockAt();
    const fleet = new Fleet(DEFAULT_THRESHOLDS, c.fn);
    const m = new MetricsStore({ clock: c.fn });
    fleet.replaceAll([{ id: 'w1', name: 'w1', problems: [], status: 'idle', lastHeartbeat: c.now, completed: 5 }]);
    const stop = m.attach(fleet, 60_000);
    c.now += 3000;
    fleet.replaceAll([{ id: 'w1', name: 'w1', problems: [], status: 'idle', lastHeartbeat: c.now, completed: 9 }]);
    c.now += 20_000;
    const v = m.view('5m');
    stop();
    assert.equal(v.totals.completed, 4);
    assert.ok(v.health.some((h) => h.state === 'healthy'));
  });
});

describe('metrics export', () => {
  it('writes one CSV row per bucket with the chart numbers', () => {
    const c = clockAt();
    const m = new MetricsStore({ clock: c.fn });
    m.recordEvent({ kind: 'completed', worker: '=cmd|calc', ts: c.now, durationMs: 2000 });
    c.now += 20_000;
    const csv = metricsToCsv(m.view('5m'));
    const lines = csv.trimEnd().split('\r\n');
    assert.equal(lines.length, 31);
    assert.match(lines[0]!, /^time,completed_per_min,errors_per_min,error_rate_pct,duration_p50_s,duration_p95_s/);
    assert.ok(lines[0]!.includes(`"completed_per_min_=cmd|calc"`) || lines[0]!.includes('completed_per_min_=cmd|calc'));
    const row = lines[29]!.split(',');
    assert.deepEqual(row.slice(0, 4), ['2026-02-07T21:00:00.000Z', '6', '0', '0']);
    assert.ok(Math.abs(Number(row[4]) - 2) / 2 < 0.12, `p50 ${row[4]} ≈ 2 s`);
    assert.match(lines[30]!, /^2026-02-07T21:00:10\.000Z,0,0,,,,0$/);
    const json = JSON.parse(metricsToJson(m.view('5m'), { connection: 'prod', exportedAt: T0 }));
    assert.equal(json.connection, 'prod');
    assert.equal(json.window, '5m');
  });

  it('quotes CSV cells and defuses spreadsheet formulas from store data', () => {
    assert.equal(csvCell('plain'), 'plain');
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(csvCell('-12.5'), '-12.5');
  });
});
