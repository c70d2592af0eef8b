import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Fleet, type FleetChange } from '../../src/core/fleet';
import type { WorkerSnapshot } from '../../src/core/model';
import { describeWorker, detailLines } from '../../src/core/describe';

const T0 = Date.parse('2024-06-01T12:00:00Z');

function setup() {
  let now = T0;
  const fleet = new Fleet(undefined, () => now);
  const changes: FleetChange[] = [];
  fleet.onChange((c) => changes.push(c));
  return { fleet, changes, tick: (ms: number) => (now += ms), now: () => now };
}
const w = (id: string, extra: Partial<WorkerSnapshot> = {}): WorkerSnapshot => ({
  id,
  name: id,
  problems: [],
  status: 'idle',
  lastHeartbeat: T0,
  ...extra,
});

test('replaceAll: first read adds everyone, an identical read announces nothing', () => {
  const { fleet, changes } = setup();
  fleet.replaceAll([w('a'), w('b')]);
  assert.deepEqual(changes, [{ changed: [], added: ['a', 'b'], removed: [], connection: false }]);
  fleet.replaceAll([w('a'), w('b')]);
  assert.equal(changes.length, 1, 'no change, no event');
  assert.equal(fleet.size, 2);
});

test('replaceAll: changed, added and removed in one event', () => {
  const { fleet, changes } = setup();
  fleet.replaceAll([w('a'), w('b')]);
  fleet.replaceAll([w('a', { status: 'working', task: { title: 't' } }), w('c')]);
  assert.deepEqual(changes[1], { changed: ['a'], added: ['c'], removed: ['b'], connection: false });
  assert.equal(fleet.get('a')?.health, 'working');
  assert.equal(fleet.get('b'), undefined);
});

test('update (push path): only the named workers; unknown removals are ignored', () => {
  const { fleet, changes } = setup();
  fleet.replaceAll([w('a'), w('b')]);
  fleet.update([w('b', { status: 'crashed' })], ['a', 'zzz']);
  assert.deepEqual(changes[1], { changed: ['b'], added: [], removed: ['a'], connection: false });
  assert.equal(fleet.get('b')?.health, 'crashed');
  fleet.update([], ['nobody']);
  assert.equal(changes.length, 2, 'removing an unknown worker is not a change');
});

test('connection error: last-known workers kept, all stale, one connection event; recovery clears it', () => {
  const { fleet, changes } = setup();
  fleet.setConnection({ state: 'connected', liveMode: 'poll every 2s' });
  fleet.replaceAll([w('a', { status: 'working', task: { title: 'Fix' } }), w('b')]);
  changes.length = 0;
  fleet.setConnection({ state: 'error', message: 'Redis refused the connection' });
  assert.deepEqual(changes, [{ changed: [], added: [], removed: [], connection: true }]);
  assert.equal(fleet.stale, true);
  const views = fleet.workers();
  assert.equal(views.length, 2, 'nothing dropped');
  assert.ok(views.every((v) => v.stale));
  assert.equal(fleet.get('a')?.health, 'working', 'last known health kept');
  assert.equal(fleet.get('a')?.snapshot.task?.title, 'Fix');
  fleet.setConnection({ state: 'error', message: 'Redis refused the connection' });
  assert.equal(changes.length, 1, 'the same error again is not a change');
  fleet.setConnection({ state: 'connected', liveMode: 'poll every 2s' });
  assert.equal(fleet.stale, false);
  assert.ok(fleet.workers().every((v) => !v.stale));
  assert.equal(changes.length, 2);
});

test('liveMode change alone is announced (the tooltip names the path)', () => {
  const { fleet, changes } = setup();
  fleet.setConnection({ state: 'connected', liveMode: 'poll every 2s' });
  fleet.setConnection({ state: 'connected', liveMode: 'keyspace notifications, reconcile every 15s' });
  assert.equal(changes.length, 2);
  assert.equal(fleet.connection.liveMode, 'keyspace notifications, reconcile every 15s');
});

test('reclassify: time alone turns a worker unresponsive then dead, announcing only health flips', () => {
  const { fleet, changes, tick } = setup();
  fleet.replaceAll([w('a'), w('b', { status: 'stopped' })]);
  changes.length = 0;
  tick(10_000);
  assert.deepEqual(fleet.reclassify(), []);
  tick(5_000);
  assert.deepEqual(fleet.reclassify(), ['a']);
  assert.equal(fleet.get('a')?.health, 'unresponsive');
  tick(15_000);
  assert.deepEqual(fleet.reclassify(), ['a']);
  assert.equal(fleet.get('a')?.health, 'dead');
  assert.equal(changes.length, 2);
});

test('counts: alive = healthy + working + slow', () => {
  const { fleet } = setup();
  fleet.replaceAll([
    w('a'),
    w('b', { task: { startedAt: T0 } }),
    w('c', { task: { startedAt: T0 - 3_600_000 } }),
    w('d', { lastHeartbeat: T0 - 60_000 }),
    w('e', { status: 'crashed' }),
    w('f', { problems: ['bad'] }),
  ]);
  const c = fleet.counts();
  assert.equal(c.total, 6);
  assert.equal(c.alive, 3);
  assert.deepEqual(Object.fromEntries(Object.entries(c.byHealth).filter(([, n]) => n)), {
    healthy: 1,
    working: 1,
    slow: 1,
    dead: 1,
    crashed: 1,
    unknown: 1,
  });
});

test('workers() sorted by name; setPending announces the worker; thresholds re-derive health', () => {
  const { fleet, changes } = setup();
  fleet.replaceAll([w('b', { name: 'Zed' }), w('a', { name: 'Amy', lastHeartbeat: T0 - 20_000 })]);
  assert.deepEqual(
    fleet.workers().map((v) => v.snapshot.name),
    ['Amy', 'Zed'],
  );
  fleet.setPending('a', 'restart requested');
  assert.deepEqual(changes.at(-1), { changed: ['a'], added: [], removed: [], connection: false });
  assert.equal(fleet.get('a')?.pending, 'restart requested');
  fleet.setPending('a', 'restart requested');
  assert.equal(changes.length, 2, 'same pending twice is not a change');
  assert.equal(fleet.get('a')?.health, 'unresponsive');
  fleet.setThresholds({
    unresponsiveAfterSeconds: 60,
    deadAfterSeconds: 120,
    slowTaskAfterMinutes: 15,
    adaptive: true,
  });
  assert.equal(fleet.get('a')?.health, 'healthy');
});

test('a listener that throws does not stop the others', () => {
  const { fleet } = setup();
  let heard = 0;
  fleet.onChange(() => {
    throw new Error('view bug');
  });
  fleet.onChange(() => heard++);
  fleet.replaceAll([w('a')]);
  assert.equal(heard, 1);
});

test('one bad worker never hides the others', () => {
  const { fleet } = setup();
  fleet.replaceAll([w('a'), { id: 'bad', name: 'bad', problems: ['worker:state:bad is not valid JSON'] }, w('c')]);
  assert.equal(fleet.size, 3);
  assert.equal(fleet.get('bad')?.health, 'unknown');
  assert.match(fleet.get('bad')!.reason, /not valid JSON/);
  assert.equal(fleet.get('a')?.health, 'healthy');
});

test('an outage longer than dead-after invents no deaths: health is judged as of the last successful read, afresh from the next one', () => {
  const { fleet, tick, now } = setup();
  fleet.setConnection({ state: 'connected' });
  // Beats every second: what a live worker looks like until the observer goes blind.
  for (let i = 0; i < 5; i++) {
    fleet.replaceAll([w('a', { lastHeartbeat: now() }), w('gone-quiet', { lastHeartbeat: T0 })]);
    tick(1000);
  }
  const lastRead = now() - 1000;
  fleet.setConnection({ state: 'error', message: 'Redis refused the connection' });
  tick(45_000); // > dead-after (30 s)
  fleet.reclassify();
  assert.equal(fleet.get('a')?.health, 'healthy', 'blindness is not death');
  assert.equal(fleet.get('a')?.blindSince, lastRead);
  assert.equal(
    describeWorker(fleet.get('a')!, now()),
    'idle · seen 46s ago · store unreachable 46s',
    'the ages stay true',
  );
  assert.match(
    detailLines(fleet.get('a')!, now()).find(([k]) => k === 'Data')![1],
    /unreachable for 46s.*judged as of that last successful read/,
  );
  assert.equal(fleet.counts().byHealth.dead, 0);

  // The first read after the outage judges afresh: a worker that really stopped is dead now, the live one is not.
  fleet.replaceAll([w('a', { lastHeartbeat: now() }), w('gone-quiet', { lastHeartbeat: T0 })]);
  fleet.setConnection({ state: 'connected' });
  assert.equal(fleet.get('a')?.health, 'healthy');
  // Workers that write to the store could not beat while it was away: the outage does not count against a
  // worker's age until its first beat after the return. One that really stopped is dead once dead-after has
  // passed, outage excluded.
  assert.equal(fleet.get('gone-quiet')?.health, 'healthy', 'the outage is not counted against a silent worker');
  tick(30_000);
  fleet.reclassify();
  assert.equal(fleet.get('gone-quiet')?.health, 'dead', 'silent for dead-after, outage excluded: dead');
  assert.equal(fleet.get('a')?.blindSince, undefined);
});

test('a worker already late before the outage stays as it was judged, neither better nor worse', () => {
  const { fleet, tick } = setup();
  fleet.setConnection({ state: 'connected' });
  fleet.replaceAll([w('late', { lastHeartbeat: T0 })]);
  tick(20_000);
  fleet.replaceAll([w('late', { lastHeartbeat: T0 })]); // a poll: nothing changed, but the store was seen
  fleet.reclassify();
  assert.equal(fleet.get('late')?.health, 'unresponsive');
  fleet.setConnection({ state: 'error', message: 'down' });
  tick(60_000);
  fleet.reclassify();
  assert.equal(
    fleet.get('late')?.health,
    'unresponsive',
    'judged as of the last read (T0 + 20s): not dead, and not healthy again either',
  );
});
