import { test } from 'node:test';
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { expandPath, globToRegExp, splitGlob, stemOf } from '../../src/sources/files/glob';
import { HEARTBEAT_FILE_FIELDS, readHeartbeat } from '../../src/sources/files/heartbeatPreset';

test('glob: *, ?, classes and braces match one file name; * skips hidden temp files', () => {
  const json = globToRegExp('*.json');
  assert.ok(json.test('worker-1.json'));
  assert.ok(!json.test('worker-1.json.tmp'), "a writer's temp suffix does not match");
  assert.ok(!json.test('.worker-1.json'), "hidden files (atomic writers' temp files) do not match *");
  assert.ok(globToRegExp('.*.json').test('.hidden.json'), 'unless the glob itself starts with a dot');
  assert.ok(globToRegExp('worker-?.log').test('worker-3.log'));
  assert.ok(!globToRegExp('worker-?.log').test('worker-12.log'));
  assert.ok(globToRegExp('worker-[0-9]*.log').test('worker-12.log'));
  assert.throws(() => globToRegExp('*.{json,hb'), /the pattern "\*\.\{json,hb" has an unclosed "\{"/);
  assert.throws(() => globToRegExp('worker-[0-9.log'), /unclosed "\["/);
  assert.ok(!globToRegExp('worker-[!0-9]*.log').test('worker-12.log'));
  const braces = globToRegExp('{brain,worker-*}.log');
  assert.ok(braces.test('brain.log') && braces.test('worker-2.log') && !braces.test('other.log'));
  assert.ok(globToRegExp('a+b(1).json').test('a+b(1).json'), 'regex characters are literal');
});

test('glob: a log glob splits into the folder to watch and the name pattern', () => {
  assert.deepEqual(splitGlob('/var/log/w/worker-*.log'), { dir: '/var/log/w', pattern: 'worker-*.log' });
  assert.deepEqual(splitGlob('logs/*.log', '/data/hb'), { dir: '/data/hb/logs', pattern: '*.log' });
  assert.equal(splitGlob('~/.claude/workers/errors/worker-*.log').dir, join(homedir(), '.claude/workers/errors'));
  assert.match(splitGlob('/var/*/worker.log').error ?? '', /file name only/);
  assert.equal(expandPath('~'), homedir());
  assert.equal(stemOf('worker-3.log'), 'worker-3');
  assert.equal(stemOf('w1.heartbeat.json'), 'w1.heartbeat');
  assert.equal(stemOf('.hidden'), '.hidden');
});

test("heartbeat preset: seed 004's file reads into a snapshot, id from the worker field", () => {
  const text = JSON.stringify({
    worker: 'worker-1',
    timestamp: '2026-02-07T21:45:30.123456',
    status: 'idle',
    model_loaded: false,
    tasks_completed: 42,
  });
  const r = readHeartbeat('hb-1.json', 'hb-1', text, HEARTBEAT_FILE_FIELDS);
  assert.ok(r.ok);
  assert.equal(r.snapshot.id, 'worker-1');
  assert.equal(r.snapshot.name, 'worker-1');
  assert.equal(r.snapshot.status, 'idle');
  assert.equal(r.snapshot.completed, 42);
  // datetime.now().isoformat() has no zone: the time is local to this machine.
  assert.equal(r.snapshot.lastHeartbeat, new Date(2026, 1, 7, 21, 45, 30, 123).getTime());
  assert.deepEqual(r.snapshot.problems, []);
});

test('heartbeat preset: without a worker field the file name is the id; zoned times stay as written', () => {
  const r = readHeartbeat(
    'worker-7.json',
    'worker-7',
    '{"timestamp":"2026-02-07T21:45:30Z","status":"processing"}',
    HEARTBEAT_FILE_FIELDS,
  );
  assert.ok(r.ok);
  assert.equal(r.snapshot.id, 'worker-7');
  assert.equal(r.snapshot.lastHeartbeat, Date.parse('2026-02-07T21:45:30Z'));
});

test('heartbeat preset: a task with a naive start time is local too (slow detection stays right)', () => {
  const text = JSON.stringify({
    worker: 'w',
    timestamp: 1_770_000_000,
    current_task: { id: 't1', title: 'Transcribe', started_at: '2026-02-07 21:00:00' },
  });
  const r = readHeartbeat('w.json', 'w', text, HEARTBEAT_FILE_FIELDS);
  assert.ok(r.ok);
  assert.equal(r.snapshot.lastHeartbeat, 1_770_000_000_000, 'epoch seconds');
  assert.equal(r.snapshot.task?.startedAt, new Date(2026, 1, 7, 21, 0, 0).getTime());
  assert.equal(r.snapshot.task?.title, 'Transcribe');
});

test('heartbeat preset: empty and cut-off files are transient (retry), a non-object is not', () => {
  const empty = readHeartbeat('w.json', 'w', '', HEARTBEAT_FILE_FIELDS);
  assert.ok(!empty.ok && empty.transient && /empty/.test(empty.problem));
  const cut = readHeartbeat('w.json', 'w', '{"worker":"w","times', HEARTBEAT_FILE_FIELDS);
  assert.ok(!cut.ok && cut.transient && /not valid JSON/.test(cut.problem));
  const list = readHeartbeat('w.json', 'w', '[1,2]', HEARTBEAT_FILE_FIELDS);
  assert.ok(!list.ok && !list.transient && /not an object/.test(list.problem));
});

test('heartbeat preset: field overrides map another layout; bad values become problems, not throws', () => {
  const fields = { ...HEARTBEAT_FILE_FIELDS, name: 'id', lastHeartbeat: 'beat.at', completed: 'jobs' };
  const r = readHeartbeat(
    'x.json',
    'x',
    JSON.stringify({ id: 'gpu-2', beat: { at: '2026-01-01T00:00:00Z' }, jobs: 'many' }),
    fields,
  );
  assert.ok(r.ok);
  assert.equal(r.snapshot.id, 'gpu-2');
  assert.equal(r.snapshot.lastHeartbeat, Date.parse('2026-01-01T00:00:00Z'));
  assert.deepEqual(r.snapshot.problems, ['jobs should be a number but is "many"']);
});
