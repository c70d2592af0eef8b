import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { counterIncrease, increaseSpan, slices } from '../../src/core/counterDeltas';
import { Fleet } from '../../src/core/fleet';
import { MetricsStore } from '../../src/core/metrics';
import type { WorkerSnapshot, WorkerView } from '../../src/core/model';

const T0 = Date.UTC(2026, 1, 7, 21, 0, 0);

function view(id: string, s: Partial<WorkerSnapshot> = {}): WorkerView {
  return { snapshot: { id, name: id, problems: [], ...s }, health: 'healthy', reason: '', stale: false };
}

const nonNull = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null);

describe('counter deltas', () => {
  it('a counter that goes down is a restart: a new base, never a negative count', () => {
    assert.equal(counterIncrease(40, 2), 2, 'the 2 done since the restart');
    assert.equal(counterIncrease(40, 0), 0);
    assert.equal(counterIncrease(5, 9), 4);
    assert.equal(counterIncrease(undefined, 9), 0, 'no earlier reading: a baseline');
    assert.equal(counterIncrease(5, Number.NaN), 0);
  });

  it('after a restart, later increases count from the new base', () => {
    const c = { now: T0 };
    const m = new MetricsStore({ clock: () => c.now });
    m.observe([view('w1', { completed: 40 })]);
    c.now += 5_000;
    m.observe([view('w1', { completed: 0 })]); // restarted
    c.now += 5_000;
    m.observe([view('w1', { completed: 3 })]);
    c.now += 60_000;
    const v = m.view('5m');
    assert.equal(v.totals.completed, 3);
    assert.ok(
      nonNull(v.throughput.fleet).every((x) => x >= 0),
      'no bucket below zero',
    );
  });

  it('a jump after a heartbeat gap is spread over the gap, not drawn as one spike', () => {
    assert.deepEqual(increaseSpan({ at: T0, beat: T0 - 1000 }, { at: T0 + 300_000, beat: T0 + 299_000 }), {
      from: T0 - 1000,
      to: T0 + 299_000,
    });
    const c = { now: T0 };
    const m = new MetricsStore({ clock: () => c.now });
    m.observe([view('w1', { completed: 100, lastHeartbeat: c.now })]);
    // The store was out of reach for 5 minutes; the worker kept working: 60 more when it is read again.
    c.now += 300_000;
    m.observe([view('w1', { completed: 160, lastHeartbeat: c.now })]);
    c.now += 10_000;
    const v = m.view('5m');
    const values = nonNull(v.throughput.fleet);
    assert.equal(v.totals.completed, 60 - 2, 'all but the share of the 10 s bucket that fell out of the window');
    const peak = Math.max(...values);
    assert.ok(peak <= 12.5, `12/min over the outage, not a spike of 360/min (peak ${peak})`);
    assert.ok(values.filter((x) => x > 11).length >= 28, `the outage's buckets all carry it: ${values.join(',')}`);
  });

  it('without heartbeat times, a jump after the store was unreachable is spread over the outage', () => {
    const c = { now: T0 };
    const fleet = new Fleet(undefined, () => c.now);
    const m = new MetricsStore({ clock: () => c.now });
    fleet.setConnection({ state: 'connected' });
    m.attach(fleet, 60_000);
    fleet.replaceAll([{ id: 'w1', name: 'w1', problems: [], completed: 10 }]);
    c.now += 20_000;
    fleet.setConnection({ state: 'error', message: 'unreachable' });
    c.now += 120_000;
    fleet.setConnection({ state: 'connected' });
    fleet.replaceAll([{ id: 'w1', name: 'w1', problems: [], completed: 34 }]);
    c.now += 10_000;
    const values = nonNull(m.view('5m').throughput.fleet);
    assert.equal(m.view('5m').totals.completed, 24);
    assert.ok(Math.max(...values) <= 12.5, `24 over 2 min is 12/min, not a spike: ${values.join(',')}`);
    // Connected all along, the next change happened when it was seen.
    c.now += 1_000;
    fleet.replaceAll([{ id: 'w1', name: 'w1', problems: [], completed: 35 }]);
    c.now += 10_000;
    const after = m.view('5m').throughput.fleet;
    assert.equal(after[after.length - 1], 6, 'one task in one 10 s bucket: 6/min');
  });

  it('slices follow the bucket grid and keep the total', () => {
    const s = slices(T0 + 5_000, T0 + 35_000, 30, 10_000);
    assert.deepEqual(
      s.map((x) => [x.ts - T0, x.n]),
      [
        [5_000, 5],
        [10_000, 10],
        [20_000, 10],
        [30_000, 5],
      ],
    );
    assert.deepEqual(slices(T0, T0, 3, 10_000), [{ ts: T0, n: 3 }]);
  });
});
