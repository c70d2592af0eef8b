import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Fleet } from '../../src/core/fleet';
import type { HealthThresholds, WorkerSnapshot } from '../../src/core/model';
import { TransitionWatcher, type TransitionBatch } from '../../src/core/transitions';
import { describeTransitions } from '../../src/core/alertText';

const T0 = Date.parse('2024-06-01T12:00:00Z');
const THRESHOLDS: HealthThresholds = {
  unresponsiveAfterSeconds: 15,
  deadAfterSeconds: 30,
  slowTaskAfterMinutes: 15,
  adaptive: false,
};

/** A fleet on a fake clock, its watcher, and a 1 s tick that does what the session's clock does. */
function setup(opts: { minimumMs?: number; groupMs?: number } = {}) {
  let now = T0;
  const fleet = new Fleet(THRESHOLDS, () => now);
  const watcher = new TransitionWatcher(fleet, { minimumMs: opts.minimumMs ?? 10_000, groupMs: opts.groupMs ?? 3_000 });
  const batches: TransitionBatch[] = [];
  watcher.onBatch((b) => batches.push(b));
  const beating = new Set<string>();
  const tick = (seconds = 1) => {
    for (let i = 0; i < seconds; i++) {
      now += 1000;
      if (beating.size) fleet.update([...beating].map((id) => w(id, now)));
      fleet.reclassify();
      watcher.evaluate(now);
    }
  };
  return { fleet, watcher, batches, beating, tick, now: () => now };
}
const w = (id: string, lastHeartbeat: number, extra: Partial<WorkerSnapshot> = {}): WorkerSnapshot => ({
  id,
  name: id,
  problems: [],
  status: 'idle',
  lastHeartbeat,
  ...extra,
});
const connected = { state: 'connected' as const, liveMode: 'poll every 2s' };

test('nothing fires for the states found at connect time', () => {
  const { fleet, batches, watcher, tick } = setup();
  fleet.replaceAll([w('old-dead', T0 - 120_000), w('crashy', T0, { status: 'crashed' }), w('fine', T0)]);
  fleet.setConnection(connected);
  tick(60);
  // "fine" stopped beating at T0 and died during these 60 s: that one is news; the others are not.
  assert.deepEqual(
    watcher.timeline().map((t) => `${t.name}:${t.from}→${t.to}`),
    ['fine:unresponsive→dead'],
  );
  assert.equal(batches.length, 1);
});

test('a live worker that stops beating: one notification naming it and its new state, once it lasted the minimum', () => {
  const { fleet, batches, beating, tick, now } = setup();
  fleet.replaceAll([w('gpu-1', T0)]);
  fleet.setConnection(connected);
  beating.add('gpu-1');
  tick(5);
  beating.delete('gpu-1');
  const lastBeat = now();
  // Dead 30 s after its last beat; a state must last 10 s; the batch closes 3 s later.
  tick(30 + 9);
  assert.equal(batches.length, 0, 'not yet: dead for less than the minimum');
  tick(1 + 3);
  assert.equal(batches.length, 1);
  const [t] = batches[0].transitions;
  assert.deepEqual(
    { name: t.name, from: t.from, to: t.to, kind: t.kind, at: t.at },
    { name: 'gpu-1', from: 'unresponsive', to: 'dead', kind: 'dead', at: lastBeat + 30_000 },
  );
  assert.match(describeTransitions(batches[0].transitions), /^gpu-1 died at \d\d:\d\d:\d\d \(was unresponsive\)$/);
  tick(60);
  assert.equal(batches.length, 1, 'said once, not every tick');
});

test('a state shorter than the minimum says nothing (a blip is not news)', () => {
  const { fleet, batches, watcher, tick } = setup();
  fleet.replaceAll([w('api-1', T0)]);
  fleet.setConnection(connected);
  tick(2);
  fleet.update([w('api-1', T0 + 2000, { status: 'crashed' })]);
  tick(5);
  fleet.update([w('api-1', T0 + 7000)]);
  tick(30);
  assert.deepEqual(watcher.timeline(), []);
  assert.equal(batches.length, 0);
});

test('a worker back between short jobs (idle, working, idle…) has recovered: its next crash is news again', () => {
  const { fleet, watcher, batches, tick, now } = setup();
  fleet.replaceAll([w('api-1', T0)]);
  fleet.setConnection(connected);
  tick(2);
  const crashFor = (seconds: number) => {
    for (let i = 0; i < seconds; i++) {
      fleet.update([w('api-1', now(), { status: 'crashed' })]);
      tick(1);
    }
  };
  crashFor(15);
  // Back at work: a 4-second job, 1 s idle, another, … never 10 s in one of the two.
  for (let i = 0; i < 20; i++) {
    const busy = i % 5 !== 4;
    fleet.update([w('api-1', now(), busy ? { task: { id: `T-${i}`, startedAt: now() } } : {})]);
    tick(1);
  }
  crashFor(15);
  assert.deepEqual(
    watcher.timeline().map((t) => t.kind),
    ['crashed', 'recovered', 'crashed'],
  );
  assert.equal(batches.filter((b) => b.transitions.some((t) => t.kind === 'crashed')).length, 2, 'both crashes said');
});

test('many workers dying within seconds are ONE notification', () => {
  const { fleet, batches, beating, tick } = setup({ minimumMs: 0 });
  const ids = ['gpu-1', 'gpu-2', 'gpu-3', 'gpu-4', 'gpu-5'];
  fleet.replaceAll(ids.map((id) => w(id, T0)));
  fleet.setConnection(connected);
  ids.forEach((id) => beating.add(id));
  tick(3);
  // A host goes down: its workers' last beats are a second or two apart.
  for (const id of ids) {
    beating.delete(id);
    tick(id === 'gpu-3' ? 1 : 0);
  }
  tick(60);
  assert.equal(batches.length, 1, `one batch, got ${batches.map((b) => b.transitions.length).join(', ')}`);
  assert.equal(batches[0].transitions.length, 5);
  assert.match(
    describeTransitions(batches[0].transitions),
    /^5 workers died (in 1s|at [\d:]+): gpu-1, gpu-2, gpu-3, gpu-4, …$/,
  );
});

test('nothing is judged while the store is unreachable, and the state found after it answers again is a new baseline', () => {
  const { fleet, batches, watcher, beating, tick } = setup({ minimumMs: 0, groupMs: 0 });
  fleet.replaceAll([w('a', T0), w('b', T0)]);
  fleet.setConnection(connected);
  beating.add('a');
  beating.add('b');
  tick(2);
  fleet.setConnection({ state: 'error', message: 'Connection refused' });
  beating.clear();
  tick(60);
  // Back: a died during the outage (nobody saw it happen); b is back and beating.
  fleet.update([w('b', T0 + 62_000)]);
  fleet.setConnection(connected);
  beating.add('b');
  tick(5);
  assert.deepEqual(watcher.timeline(), []);
  // The outage does not count against a's age (it could not have beaten into an unreachable store):
  // nothing is known of it yet, so nothing is said.
  assert.equal(fleet.get('a')?.health, 'healthy');
  // From here on, transitions are news again: a stays silent past dead-after while the store answers.
  beating.delete('b');
  tick(40);
  assert.deepEqual(
    batches.map((x) => x.transitions.map((t) => `${t.name}:${t.to}`)),
    [['a:dead'], ['b:dead']],
  );
});

test('a recovery is a transition; a worker that appears or disappears is not', () => {
  const { fleet, watcher, beating, tick, now } = setup({ minimumMs: 0, groupMs: 0 });
  fleet.replaceAll([w('a', T0 - 60_000)]);
  fleet.setConnection(connected);
  tick(1);
  beating.add('a');
  tick(2);
  fleet.update([w('new', now())]);
  tick(1);
  fleet.update([], ['new']);
  tick(5);
  assert.deepEqual(
    watcher.timeline().map((t) => `${t.name}:${t.from}→${t.to}:${t.kind}`),
    ['a:dead→healthy:recovered'],
  );
  assert.match(describeTransitions(watcher.timeline()), /^a recovered \(idle again\) at/);
});

test('a mixed batch says how many of each, and store text cannot become a link', () => {
  const at = T0;
  const text = describeTransitions([
    { id: '1', name: 'gpu-1', from: 'healthy', to: 'dead', kind: 'dead', at },
    { id: '2', name: '[click](command:evil)', from: 'healthy', to: 'crashed', kind: 'crashed', at: at + 4000 },
    { id: '3', name: 'api', from: 'dead', to: 'working', kind: 'recovered', at },
  ]);
  assert.equal(text, '3 workers changed in 4s: 1 died (gpu-1), 1 crashed ([click] (command:evil)), 1 recovered (api)');
  // A worker named after the URL it talks to: the password is not repeated in a notification.
  const named = describeTransitions([
    { id: 'u', name: 'redis://:s3cret@db:6379', from: 'healthy', to: 'dead', kind: 'dead', at },
  ]);
  assert.doesNotMatch(named, /s3cret/);
  assert.match(named, /^redis:\/\/:\*\*\*@db:6379 died/);
});

test('transitions confirmed just before the store goes away are still said, once', () => {
  const { fleet, batches, beating, tick } = setup({ minimumMs: 0, groupMs: 3_000 });
  fleet.replaceAll([w('a', T0)]);
  fleet.setConnection(connected);
  beating.add('a');
  tick(2);
  beating.clear();
  tick(31); // a is dead; its batch waits out the grouping window…
  assert.equal(batches.length, 0);
  fleet.setConnection({ state: 'error', message: 'Connection refused' }); // …when the store goes away
  assert.deepEqual(
    batches.map((b) => b.transitions.map((t) => `${t.name}:${t.to}`)),
    [['a:dead']],
  );
  tick(10);
  assert.equal(batches.length, 1);
});
