import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CRASHED_MS, SimFleet } from '../../src/companion/simFleet';
import { Fleet } from '../../src/core/fleet';
import type { HealthThresholds, WorkerSnapshot } from '../../src/core/model';
import { TransitionWatcher, type TransitionBatch } from '../../src/core/transitions';
import { describeTransitions } from '../../src/core/alertText';

/*
 * The demo's story, read as the extension reads it, on a fake clock: the simulated fleet
 * written into a Fleet every second, its transitions judged with the default alert minimum.
 * The demo's crash must last long enough to be news, once per crash.
 */

const T0 = Date.parse('2024-06-01T12:00:00Z');
const THRESHOLDS: HealthThresholds = {
  unresponsiveAfterSeconds: 15,
  deadAfterSeconds: 30,
  slowTaskAfterMinutes: 15,
  adaptive: true,
};
const BEAT_MS = 2000;

function snapshotOf(w: SimFleet['workers'][number]): WorkerSnapshot {
  return {
    id: w.id,
    name: w.id,
    problems: [],
    status: w.status,
    lastHeartbeat: w.lastBeat,
    version: w.version,
    task: w.task && { id: w.task.id, title: w.task.title, startedAt: w.task.started_at },
  };
}

/** Runs the demo's 8 workers for `seconds` as the simulator would (a write per change or beat). */
function runDemo(seconds: number) {
  let now = T0;
  const sim = new SimFleet({ workers: 8, now: T0 });
  const fleet = new Fleet(THRESHOLDS, () => now);
  // The default: workerLens.alerts.minimumSeconds = 10.
  const watcher = new TransitionWatcher(fleet);
  const batches: TransitionBatch[] = [];
  watcher.onBatch((b) => batches.push(b));
  const crashes: number[] = [];
  let tasks = 0;
  fleet.replaceAll(sim.workers.map(snapshotOf));
  fleet.setConnection({ state: 'connected', liveMode: 'poll every 2s' });
  watcher.evaluate(now);
  for (let i = 0; i < seconds * 4; i++) {
    now += 250;
    const events = sim.step(now);
    for (const e of events) {
      if (e.kind === 'status' && e.status === 'crashed') crashes.push(now);
      if (e.kind === 'task_started' && e.worker.role === 'flaky') tasks++;
    }
    const dirty = new Set(events.map((e) => e.worker));
    for (const w of sim.workers) if (w.beating && now - w.lastBeat >= BEAT_MS) dirty.add(w);
    for (const w of dirty) if (w.beating) w.lastBeat = now;
    if (dirty.size) fleet.update([...dirty].map(snapshotOf));
    if (now % 1000 === 0) {
      fleet.reclassify();
      watcher.evaluate(now);
    }
  }
  return { watcher, batches, crashes, tasks, sim };
}

test('the demo crash lasts past the default alert minimum and raises one alert per crash, naming the worker', () => {
  assert.ok(CRASHED_MS >= 15_000, 'crashed well past workerLens.alerts.minimumSeconds (10 s)');
  const { watcher, batches, crashes, tasks } = runDemo(120);
  // About one crash every 40 s, not one per task: a notification a minute, not a stream.
  assert.ok(crashes.length >= 2 && crashes.length <= 3, `crashes at ${crashes.map((t) => (t - T0) / 1000)} s`);
  assert.ok(tasks > crashes.length, 'the flaky worker finishes tasks between crashes');
  const crashed = watcher.timeline().filter((t) => t.kind === 'crashed');
  assert.deepEqual(
    crashed.map((t) => t.name),
    crashes.map(() => 'worker-2'),
    'every crash is confirmed, once',
  );
  const alerts = batches.filter((b) => b.transitions.some((t) => t.kind === 'crashed'));
  assert.equal(alerts.length, crashes.length, 'one notification per crash');
  for (const b of alerts) assert.match(describeTransitions(b.transitions), /worker-2 crashed/);
  // The silent worker dies once (12 s in), and nothing else alerts as dead or crashed.
  assert.deepEqual(
    watcher
      .timeline()
      .filter((t) => t.kind === 'dead')
      .map((t) => t.name),
    ['worker-3'],
  );
});

test('the crash length is an option (tests and benchmarks may want it short)', () => {
  const sim = new SimFleet({ workers: 8, now: T0, crashedMs: 4000 });
  let crashedAt = 0;
  for (let now = T0; now < T0 + 30_000; now += 250) {
    for (const e of sim.step(now)) {
      if (e.kind === 'status' && e.status === 'crashed') crashedAt ||= now;
      if (e.kind === 'status' && e.status === 'recovering' && crashedAt) {
        assert.equal(now - crashedAt, 4000);
        return;
      }
    }
  }
  assert.fail('the flaky worker never recovered');
});
