import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConnection } from '../../src/core/connectionConfig';
import { expandExpected } from '../../src/core/expectedWorkers';
import { LiveSession } from '../../src/core/liveSession';
import type { WorkerSnapshot } from '../../src/core/model';
import { fleetVersions, looksLikeCommit } from '../../src/core/drift';
import { parseRecord } from '../../src/core/record';
import type { WorkerView } from '../../src/core/model';
import { SimFleet } from '../../src/companion/simFleet';
import { stateHash } from '../../src/companion/orchestratorFormat';

const SEED_003 = [
  'mission-worker',
  'roundtable-worker',
  'initiative-worker',
  'objective-proposal-worker',
  'outcome-learner',
];
const w = (id: string, extra: Partial<WorkerSnapshot> = {}): WorkerSnapshot => ({
  id,
  name: id,
  problems: [],
  status: 'idle',
  lastHeartbeat: Date.now(),
  ...extra,
});

function session(expected: string[]) {
  const s = new LiveSession({ tickMs: 3_600_000 });
  s.setExpected(expected);
  return s;
}

test('expectedWorkers: names and {prefix, count} patterns expand; mistakes are said in words', () => {
  assert.deepEqual(expandExpected(['api', { prefix: 'gpu-', count: 3 }]).names, ['api', 'gpu-1', 'gpu-2', 'gpu-3']);
  assert.deepEqual(expandExpected({ prefix: 'w', count: 2, start: 0 }).names, ['w0', 'w1']);
  // A glob is plain text: it matches nothing and shows as a worker called "gpu-*", no error.
  assert.deepEqual(expandExpected(['gpu-*']).names, ['gpu-*']);
  assert.deepEqual(expandExpected(undefined).names, []);
  const bad = (raw: unknown) =>
    validateConnection({ name: 'x', type: 'files', path: '/tmp', expectedWorkers: raw }, 0).error;
  assert.equal(
    bad([{ prefix: 'gpu-', count: 'four' }]),
    'workerLens.connections[0] ("x"): "expectedWorkers"[0]: "count" should be a whole number of workers (1 or more)',
  );
  assert.equal(
    bad([42]),
    `workerLens.connections[0] ("x"): "expectedWorkers"[0] should be a worker's name or {"prefix": "gpu-", "count": 4}`,
  );
  assert.match(bad({ prefix: 'gpu-', count: 1e6 }) ?? '', /more than 1000 expected workers/);
  assert.equal(bad(SEED_003), undefined);
});

test('an expected worker with no record is missing, counted in the total; one that appears is matched at once', () => {
  const s = session([...SEED_003, 'ghost-worker']);
  try {
    const sink = s.sink();
    // Before any read nobody is known to be missing.
    assert.equal(s.fleet.size, 0);
    sink.replaceAll(SEED_003.slice(0, 3).map((id) => w(id)));
    sink.setConnection({ state: 'connected' });
    const counts = s.fleet.counts();
    assert.equal(counts.byHealth.missing, 3);
    assert.deepEqual({ alive: counts.alive, total: counts.total }, { alive: 3, total: 6 });
    assert.equal(s.fleet.get('ghost-worker')?.health, 'missing');
    assert.match(s.fleet.get('ghost-worker')!.reason, /expectedWorkers/);
    // A push path brings one (the id is a row number; the name is what was listed).
    sink.update([w('row-17', { name: 'outcome-learner' })]);
    assert.equal(s.fleet.get('outcome-learner'), undefined, 'the placeholder went as the worker came');
    assert.equal(s.fleet.counts().byHealth.missing, 2);
    // Its record is deleted: missing again.
    sink.update([], ['row-17']);
    assert.equal(s.fleet.get('outcome-learner')?.health, 'missing');
    // A later full read keeps placeholders stable (no churn of added/removed every poll).
    let churn = 0;
    s.fleet.onChange((c) => (churn += c.added.length + c.removed.length));
    sink.replaceAll(SEED_003.slice(0, 3).map((id) => w(id)));
    assert.equal(churn, 0);
    // The list changes in settings: applied at once.
    s.setExpected(SEED_003.slice(0, 3));
    assert.equal(s.fleet.counts().byHealth.missing, 0);
    assert.equal(s.fleet.size, 3);
  } finally {
    s.dispose();
  }
});

test('a record carries its version as version, git_sha or commit, or where the mapping says', () => {
  const fields = { status: 'status', lastHeartbeat: 'ts' };
  assert.equal(parseRecord('a', { version: '1.4.2' }, fields).version, '1.4.2');
  assert.equal(parseRecord('a', { git_sha: 'abc1234def' }, fields).version, 'abc1234def');
  assert.equal(parseRecord('a', { commit: 'deadbeef' }, fields).version, 'deadbeef');
  assert.equal(parseRecord('a', { meta: { build: 7 } }, { ...fields, version: 'meta.build' }).version, '7');
  const none = parseRecord('a', { status: 'idle' }, fields);
  assert.equal('version' in none, false, 'absent stays absent');
  assert.deepEqual(none.problems, []);
});

test('code drift: workers whose version differs from the majority are flagged; a tie flags nobody', () => {
  const view = (id: string, version?: string) => w(id, version ? { version } : {});
  const d = fleetVersions([view('a', 'v2'), view('b', 'v2'), view('c', 'v1'), view('d')]);
  assert.equal(d.majority, 'v2');
  assert.deepEqual([...d.outdated], ['c']);
  assert.equal(d.reporting, 3);
  assert.deepEqual([...fleetVersions([view('a', 'v2'), view('b', 'v1')]).outdated], []);
  assert.deepEqual([...fleetVersions([view('a', 'v2'), view('b', 'v2')]).outdated], []);
  // Only hex reaches git: a "version" that is an option is never passed on.
  assert.equal(looksLikeCommit('3f2a9c1'), true);
  assert.equal(looksLikeCommit('--output=/tmp/x'), false);
  assert.equal(looksLikeCommit('1.4.2'), false);
});

test("the demo fleet shows drift: the simulator writes a version, one worker an older one; the helper's hash carries it", () => {
  const sim = new SimFleet({ workers: 8, now: Date.now() });
  const views: WorkerView[] = sim.workers.map((s) => ({
    snapshot: { id: s.id, name: s.id, problems: [], version: s.version },
    health: 'healthy',
    reason: '',
    stale: false,
  }));
  const d = fleetVersions(views.map((v) => v.snapshot));
  assert.equal(d.majority, 'v2.4.1');
  assert.deepEqual([...d.outdated], ['worker-4']);
  assert.equal(
    stateHash({ status: 'idle', lastActivity: 0, completed: 0, errors: 0, version: 'abc1234' }).version,
    'abc1234',
  );
  assert.equal(
    'version' in stateHash({ status: 'idle', lastActivity: 0, completed: 0, errors: 0 }),
    false,
    'absent when unknown',
  );
});
