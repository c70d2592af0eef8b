import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRecord, parseTime, unreadable } from '../../src/core/record';
import { classify } from '../../src/core/health';
import { DEFAULT_THRESHOLDS } from '../../src/core/model';
import { ORCHESTRATOR_FIELDS } from '../../src/sources/redis/orchestratorPreset';

const F = ORCHESTRATOR_FIELDS;
const TASK = {
  id: 'task-42',
  title: 'Fix login bug',
  task_type: 'bug_fix',
  repository: 'acme/web',
  started_at: '2024-06-01T11:58:00.123456+00:00',
};

test('parseTime: Python ISO with microseconds and +00:00', () => {
  assert.equal(parseTime('2024-06-01T12:00:00.123456+00:00'), Date.parse('2024-06-01T12:00:00.123Z'));
  assert.equal(parseTime('2024-06-01T12:00:00+02:00'), Date.parse('2024-06-01T10:00:00Z'));
  assert.equal(parseTime('2024-06-01T12:00:00.5Z'), Date.parse('2024-06-01T12:00:00.500Z'));
  assert.equal(parseTime('2024-06-01T12:00:00-0500'), Date.parse('2024-06-01T17:00:00Z'));
  assert.equal(parseTime('2024-06-01T12:00:00+05:30'), Date.parse('2024-06-01T06:30:00Z'));
  assert.equal(parseTime('2024-06-01T12:00:00-05'), Date.parse('2024-06-01T17:00:00Z'));
  assert.equal(
    parseTime('2024-06-01T12:00:00.999999z'),
    Date.parse('2024-06-01T12:00:00.999Z'),
    'truncated, never rounded up a second',
  );
});

test('parseTime: naive ISO (utcnow().isoformat()) is UTC; a space separator works', () => {
  assert.equal(parseTime('2024-06-01T12:00:00.123456'), Date.parse('2024-06-01T12:00:00.123Z'));
  assert.equal(parseTime('2024-06-01T12:00:00'), Date.parse('2024-06-01T12:00:00Z'));
  assert.equal(parseTime('2024-06-01 12:00:00'), Date.parse('2024-06-01T12:00:00Z'));
  assert.equal(parseTime('2024-06-01T12:00'), Date.parse('2024-06-01T12:00:00Z'));
});

test('parseTime: epoch seconds and milliseconds, as numbers or strings, fractions included', () => {
  const ms = Date.parse('2024-06-01T12:00:00Z');
  assert.equal(parseTime(ms / 1000), ms);
  assert.equal(parseTime(ms), ms);
  assert.equal(parseTime(String(ms / 1000)), ms);
  assert.equal(parseTime(String(ms)), ms);
  assert.equal(parseTime(`${ms / 1000}.25`), ms + 250);
  assert.equal(parseTime(` ${ms} `), ms, 'whitespace trimmed');
  // Microseconds and nanoseconds (Python's time.time_ns()) are not milliseconds from the future.
  assert.equal(parseTime(ms * 1000), ms);
  assert.equal(parseTime(String(ms * 1000)), ms);
  assert.equal(parseTime(ms * 1e6), ms);
});

test('parseTime: rubbish is undefined, not a wrong date', () => {
  for (const v of [
    'yesterday',
    '',
    'null',
    '2024-13-45T99:99:99',
    '2024-06-01T24:00:00',
    '2024-06-01T12:00:00 UTC',
    '12:00:00',
    -5,
    0,
    NaN,
    Infinity,
    true,
    {},
    [],
    null,
    undefined,
  ]) {
    assert.equal(parseTime(v), undefined, JSON.stringify(v));
  }
});

test('hash form: every field a string, current_task a JSON string', () => {
  const s = parseRecord(
    'w1',
    {
      status: 'working',
      specialization: 'backend',
      last_activity: '2024-06-01T12:00:00.654321+00:00',
      total_completed: '12',
      total_errors: '1',
      current_task: JSON.stringify(TASK),
    },
    F,
  );
  assert.deepEqual(s, {
    id: 'w1',
    name: 'w1',
    status: 'working',
    lastHeartbeat: Date.parse('2024-06-01T12:00:00.654Z'),
    task: {
      id: 'task-42',
      title: 'Fix login bug',
      type: 'bug_fix',
      repository: 'acme/web',
      startedAt: Date.parse('2024-06-01T11:58:00.123Z'),
    },
    completed: 12,
    errors: 1,
    specialization: 'backend',
    problems: [],
  });
});

test('hash form: current_task absent, "null", "None" or empty means idle', () => {
  const base = { status: 'idle', last_activity: '2024-06-01T12:00:00+00:00' };
  for (const current_task of [undefined, 'null', 'None', '', ' null ']) {
    const rec: Record<string, unknown> = { ...base };
    if (current_task !== undefined) rec.current_task = current_task;
    const s = parseRecord('w1', rec, F);
    assert.equal(s.task, undefined, JSON.stringify(current_task));
    assert.deepEqual(s.problems, []);
    assert.equal(classify(s, DEFAULT_THRESHOLDS, Date.parse('2024-06-01T12:00:01Z')).health, 'healthy');
  }
});

test('whole JSON object form: numbers stay numbers, task nested as an object or null', () => {
  const rec = JSON.parse(
    JSON.stringify({
      status: 'WORKING',
      specialization: 'ml',
      last_activity: '2024-06-01T12:00:00+00:00',
      total_completed: 3,
      total_errors: 0,
      current_task: TASK,
    }),
  );
  const s = parseRecord('w2', rec, F);
  assert.equal(s.status, 'working', 'status is lower-cased');
  assert.equal(s.completed, 3);
  assert.equal(s.errors, 0);
  assert.equal(s.task?.title, 'Fix login bug');
  assert.deepEqual(s.problems, []);
  const idle = parseRecord('w3', { status: 'idle', last_activity: 1717243200, current_task: null }, F);
  assert.equal(idle.task, undefined);
  assert.equal(idle.lastHeartbeat, 1717243200_000);
});

test('task started_at null and missing task fields are fine; alternative task keys are read', () => {
  const s = parseRecord(
    'w1',
    {
      status: 'working',
      last_activity: '2024-06-01T12:00:00',
      current_task: JSON.stringify({ id: 7, title: 'x', started_at: null }),
    },
    F,
  );
  assert.deepEqual(s.task, { id: '7', title: 'x' });
  const alt = parseRecord(
    'w1',
    {
      last_activity: '2024-06-01T12:00:00',
      current_task: { task_id: 't', name: 'n', type: 'k', repo: 'r', startedAt: 1717243200000 },
    },
    F,
  );
  assert.deepEqual(alt.task, { id: 't', title: 'n', type: 'k', repository: 'r', startedAt: 1717243200000 });
});

test('name, pid, host and dotted paths', () => {
  const s = parseRecord(
    'w1',
    { name: ' Builder 1 ', status: 'idle', last_activity: '2024-06-01T12:00:00', pid: '4242', host: 'box-1' },
    F,
  );
  assert.equal(s.name, 'Builder 1');
  assert.equal(s.pid, 4242);
  assert.equal(s.host, 'box-1');
  const dotted = parseRecord(
    'w1',
    { meta: JSON.stringify({ hb: '2024-06-01T12:00:00Z' }) },
    { ...F, lastHeartbeat: 'meta.hb' },
  );
  assert.equal(dotted.lastHeartbeat, Date.parse('2024-06-01T12:00:00Z'));
});

test('bad JSON in current_task: the problem in words, the worker unknown', () => {
  const s = parseRecord(
    'w1',
    { status: 'working', last_activity: '2024-06-01T12:00:00', current_task: '{"id": "t1", oops' },
    F,
  );
  assert.equal(s.problems.length, 1);
  assert.match(s.problems[0], /current_task is not valid JSON: "\{\\"id\\": \\"t1\\", oops"/);
  assert.equal(classify(s, DEFAULT_THRESHOLDS, Date.now()).health, 'unknown');
});

test('wrong types: each problem named, with the field and what was found', () => {
  const s = parseRecord(
    'w1',
    {
      status: 3,
      last_activity: 'yesterday',
      total_completed: 'many',
      total_errors: { n: 1 },
      current_task: '[1,2]',
    },
    F,
  );
  assert.deepEqual(s.problems, [
    'status should be text but is number 3',
    'last_activity is not a timestamp: "yesterday"',
    'current_task should be an object but is a list',
    'total_completed should be a number but is "many"',
    'total_errors should be a number but is an object',
  ]);
  const c = classify(s, DEFAULT_THRESHOLDS, Date.now());
  assert.equal(c.health, 'unknown');
  assert.match(c.reason, /status should be text/);
});

test('a bad task start time and a scalar task are problems', () => {
  assert.deepEqual(
    parseRecord('w', { last_activity: '2024-06-01T12:00:00', current_task: JSON.stringify({ started_at: 'soon' }) }, F)
      .problems,
    ['current_task.started_at is not a timestamp: "soon"'],
  );
  assert.deepEqual(parseRecord('w', { last_activity: '2024-06-01T12:00:00', current_task: 5 }, F).problems, [
    'current_task should be an object but is number 5',
  ]);
});

test('a long bad value is truncated in the message, never dumped whole', () => {
  const s = parseRecord('w1', { last_activity: 'x'.repeat(500) }, F);
  assert.ok(s.problems[0].length < 120, s.problems[0]);
  assert.match(s.problems[0], /…"$/);
});

test('unreadable(): a worker that shows, in unknown, saying why', () => {
  const s = unreadable('w9', 'worker:state:w9 is not valid JSON');
  assert.deepEqual(s, { id: 'w9', name: 'w9', problems: ['worker:state:w9 is not valid JSON'] });
  assert.equal(classify(s, DEFAULT_THRESHOLDS, Date.now()).health, 'unknown');
});

test('optional fields are left out, not undefined (snapshots compare by JSON)', () => {
  const s = parseRecord('w1', { status: 'idle' }, F);
  assert.deepEqual(Object.keys(s).sort(), ['id', 'name', 'problems', 'status']);
});
