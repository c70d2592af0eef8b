import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricsStore } from '../../src/core/metrics';
import type { WorkerSnapshot, WorkerView } from '../../src/core/model';

const T0 = Date.UTC(2026, 1, 7, 21, 0, 0);

function view(id: string, s: Partial<WorkerSnapshot> = {}): WorkerView {
  return { snapshot: { id, name: id, problems: [], ...s }, health: 'healthy', reason: '', stale: false };
}

describe('what an empty chart says, and the window that fits', () => {
  it('a fleet that reports nothing finished says what the charts wait for, in words', () => {
    const c = { now: T0 };
    const m = new MetricsStore({ clock: () => c.now });
    m.observe([view('w1', { status: 'idle' })]); // no counters, no tasks
    c.now += 30_000;
    const notes = m.view('5m').notes!;
    assert.match(notes.throughput!, /^Waiting for completions: no worker reports a completed count/);
    assert.match(notes.duration!, /^This fleet does not report task durations/);
    assert.match(notes.health!, /sampled every 5 s/);
  });

  it('a fleet with counters but a quiet window says so; durations seen once say "in this window"', () => {
    const c = { now: T0 };
    const m = new MetricsStore({ clock: () => c.now });
    m.observe([view('w1', { completed: 3 })]);
    m.recordEvent({ kind: 'completed', worker: 'w2', ts: c.now - 2 * 3_600_000, durationMs: 900 });
    c.now += 30_000;
    const notes = m.view('5m').notes!;
    assert.equal(notes.throughput, 'No completions in this window');
    assert.equal(notes.duration, 'No task durations in this window');
    assert.equal(m.view('6h').notes!.throughput, undefined, 'the 6 hours hold the completion');
  });

  it('the window is the shortest that holds the history: 5 min, then the hour, then 6 hours', () => {
    const c = { now: T0 };
    const m = new MetricsStore({ clock: () => c.now });
    assert.equal(m.fittingWindow(), '5m', 'just started');
    m.recordEvent({ kind: 'completed', ts: c.now - 10 * 60_000 });
    assert.equal(m.fittingWindow(), '1h', '10 minutes read back from the store');
    m.recordEvent({ kind: 'completed', ts: c.now - 2 * 3_600_000 });
    assert.equal(m.fittingWindow(), '6h');
    const old = new MetricsStore({ clock: () => c.now });
    old.recordEvent({ kind: 'completed', ts: c.now - 9 * 3_600_000 });
    assert.equal(old.fittingWindow(), '5m', 'a line from before every window says nothing about the time shown');
  });
});
