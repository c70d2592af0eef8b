import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cadence } from '../../src/core/cadence';
import { Fleet } from '../../src/core/fleet';
import type { Health, WorkerSnapshot } from '../../src/core/model';

const T0 = Date.parse('2024-06-01T12:00:00Z');

test('steady beats: the interval is learned after three intervals', () => {
  const c = new Cadence();
  for (let i = 0; i < 3; i++) c.observe(T0 + i * 5000);
  assert.equal(c.intervalMs, undefined, 'two intervals are not enough to trust');
  c.observe(T0 + 3 * 5000);
  assert.equal(c.intervalMs, 5000);
});

test('jitter averages out (median)', () => {
  const c = new Cadence();
  let t = T0;
  for (const d of [0, 9_800, 10_300, 9_900, 10_100, 10_050]) c.observe((t += d));
  assert.equal(c.intervalMs, 10_050);
});

test('a pause does not stretch the learned interval; repeats and restarts are not intervals', () => {
  const c = new Cadence();
  let t = T0;
  for (const d of [0, 2000, 2000, 2000, 60_000, 2000]) c.observe((t += d));
  assert.equal(c.intervalMs, 2000, 'one 60 s pause among 2 s beats');
  c.observe(t); // the same beat read twice
  assert.equal(c.intervalMs, 2000);
  c.observe(t - 500_000); // the clock went back (a restart elsewhere): start over from there
  c.observe(t - 498_000);
  assert.equal(c.intervalMs, 2000);
});

test('estimate: before three intervals, the shortest one, unless it is longer than the cap', () => {
  const c = new Cadence();
  assert.equal(c.estimate(60_000), undefined);
  c.observe(T0);
  assert.equal(c.estimate(60_000), undefined);
  c.observe(T0 + 30_000);
  assert.equal(c.estimate(60_000), 30_000);
  c.observe(T0 + 65_000);
  assert.equal(c.estimate(60_000), 30_000, 'the shortest of the early intervals');
  const away = new Cadence();
  away.observe(T0);
  away.observe(T0 + 300_000);
  assert.equal(away.estimate(60_000), undefined, 'a 5-minute first gap is an absence, not a cadence');
});

/**
 * Drives a Fleet with a fake clock: the worker writes a heartbeat every `beats[i]` ms; the observer polls every
 * `pollMs`.
 */
function simulate(
  beats: number[],
  pollMs: number,
  opts: { task?: boolean } = {},
): { healths: Set<Health>; afterFirstInterval: Set<Health>; fleet: Fleet; at: (ms: number) => Health } {
  let now = T0;
  const fleet = new Fleet(undefined, () => now);
  const healths = new Set<Health>();
  const afterFirstInterval = new Set<Health>();
  let hb = T0;
  let next = 0;
  const beatTimes = beats.map((d) => (next += d)).map((d) => T0 + d);
  const end = beatTimes.at(-1)!;
  const snap = (): WorkerSnapshot => ({
    id: 'w',
    name: 'w',
    problems: [],
    status: opts.task ? 'working' : 'idle',
    lastHeartbeat: hb,
    ...(opts.task ? { task: { title: 'long', startedAt: T0 } } : {}),
  });
  for (; now <= end; now += pollMs) {
    while (beatTimes.length && beatTimes[0] <= now) hb = beatTimes.shift()!;
    fleet.replaceAll([snap()]);
    fleet.reclassify();
    healths.add(fleet.get('w')!.health);
    if (hb > T0) afterFirstInterval.add(fleet.get('w')!.health);
  }
  return {
    healths,
    afterFirstInterval,
    fleet,
    /** Health `ms` after the last heartbeat the observer saw. */
    at: (ms: number) => {
      now = hb + ms;
      fleet.reclassify();
      return fleet.get('w')!.health;
    },
  };
}

test('a 30 s beater (seed 003) never flaps to unresponsive between beats once one interval was seen', () => {
  const beats = Array.from({ length: 12 }, (_, i) => (i === 0 ? 0 : 30_000 + ((i * 137) % 400) - 200));
  const { healths, afterFirstInterval, fleet, at } = simulate(beats, 1000);
  // Before its second beat nothing is known about its cadence: the configured 15 s applies.
  assert.ok(healths.has('unresponsive'));
  assert.deepEqual(
    [...afterFirstInterval],
    ['healthy'],
    'from the second beat on: no flapping, even before 3 intervals',
  );
  assert.ok(Math.abs(fleet.cadenceOf('w')! - 30_000) < 500, String(fleet.cadenceOf('w')));
  assert.equal(at(60_000), 'healthy', 'one missed beat is tolerated');
  assert.equal(at(90_000), 'unresponsive', 'three missed beats are not');
  assert.match(fleet.get('w')!.reason, /usually beats every (29|30)s/);
  assert.equal(at(180_000), 'dead');
});

test('the same 30 s beater with adaptive off does flap (why adaptive exists)', () => {
  let now = T0;
  const fleet = new Fleet(
    { unresponsiveAfterSeconds: 15, deadAfterSeconds: 30, slowTaskAfterMinutes: 15, adaptive: false },
    () => now,
  );
  const healths = new Set<Health>();
  for (let t = 0; t <= 120_000; t += 1000) {
    now = T0 + t;
    fleet.replaceAll([{ id: 'w', name: 'w', problems: [], lastHeartbeat: T0 + Math.floor(t / 30_000) * 30_000 }]);
    fleet.reclassify();
    healths.add(fleet.get('w')!.health);
  }
  assert.ok(healths.has('unresponsive'));
});

test('a 2 s beater is judged by the configured thresholds (adaptive never makes them stricter)', () => {
  const { healths, at } = simulate(
    Array.from({ length: 20 }, (_, i) => (i ? 2000 : 0)),
    500,
  );
  assert.deepEqual([...healths], ['healthy']);
  assert.equal(at(14_000), 'healthy');
  assert.equal(at(15_000), 'unresponsive');
  assert.equal(at(30_000), 'dead');
});

test('heartbeats pausing during a long task: unresponsive with the reason, never dropped', () => {
  const beats = [0, 2000, 2000, 2000, 2000];
  const { fleet, at } = simulate(beats, 500, { task: true });
  assert.equal(at(5_000), 'working');
  assert.equal(at(16_000), 'unresponsive');
  assert.match(fleet.get('w')!.reason, /No heartbeat for 16s while running a task/);
  assert.equal(fleet.size, 1);
});

test('a worker that restarts: the downtime gap does not widen its allowance', () => {
  // Beats every 5 s, goes away for 2 minutes (restart), then beats every 5 s again.
  const beats = [0, 5000, 5000, 5000, 5000, 120_000, 5000, 5000];
  const { fleet, at } = simulate(beats, 1000);
  assert.equal(fleet.cadenceOf('w'), 5000);
  assert.equal(at(16_000), 'unresponsive', 'judged by its normal 5 s cadence (configured 15 s), not the 2-minute gap');
});

test('a worker first seen coming back from a long absence is not trusted with that gap', () => {
  // Seen once, then away 5 minutes, then one beat, then silence.
  const { fleet, at } = simulate([0, 300_000], 1000);
  assert.equal(fleet.cadenceOf('w'), undefined);
  assert.equal(at(15_000), 'unresponsive');
});
