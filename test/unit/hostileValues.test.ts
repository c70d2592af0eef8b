import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTable, toJson } from '../../src/cli/render';
import { parseCliArgs } from '../../src/cli/args';
import { formatLogLine, parseSupervisorArgs } from '../../src/companion/supervisorCli';
import { CommandRequester } from '../../src/control/commandRequester';
import { confirmation, outcomeSummary } from '../../src/control/plan';
import { newRequest } from '../../src/control/request';
import { LogPipeline } from '../../src/core/logLines';
import { workerRows } from '../../src/vscode/dashboard/workerRows';
import { redactUrl, redactUrlsIn, validateConnection } from '../../src/core/connectionConfig';
import { describeWorker, detailLines } from '../../src/core/describe';
import { classify } from '../../src/core/health';
import { parseLocalTime } from '../../src/sources/files/logParse';
import { DEFAULT_THRESHOLDS, type WorkerSnapshot, type WorkerView } from '../../src/core/model';
import { parseRecord, parseTime, type FieldMap } from '../../src/core/record';
import { parseStreamEntry } from '../../src/sources/redis/streamEntry';
import { HEARTBEAT_FILE_FIELDS, readHeartbeat } from '../../src/sources/files/heartbeatPreset';

/*
 * Values a worker, a bug or an attacker can write into a store (issue 14, breaks 5–7, 10, 12):
 * each is shown, refused in words or masked, and never takes the rest of the fleet down.
 */

const F: FieldMap = {
  status: 'status',
  lastHeartbeat: 'last_activity',
  task: 'current_task',
  completed: 'total_completed',
  errors: 'total_errors',
  name: 'name',
};
const NOW = Date.parse('2026-02-07T21:50:00Z');

function view(s: Partial<WorkerSnapshot> & { id: string }): WorkerView {
  const snapshot: WorkerSnapshot = { name: s.id, problems: [], ...s };
  const c = classify(snapshot, DEFAULT_THRESHOLDS, NOW);
  return { snapshot, health: c.health, reason: c.reason, stale: false };
}

test('break 5: an impossible heartbeat (1e300, 1e400, year 275760) is refused in words; the others still render', () => {
  for (const hb of [1e300, '1e400', '1' + '0'.repeat(400), 8.64e15 * 1e6, '9999999999999999999999']) {
    const s = parseRecord('w-bad', { status: 'idle', last_activity: hb }, F);
    assert.equal(s.lastHeartbeat, undefined, String(hb).slice(0, 30));
    assert.match(s.problems.join(), /last_activity is not a timestamp/);
  }
  assert.equal(parseTime(1e300), undefined);
  assert.equal(parseTime('+275760-09-13T00:00:00Z'), undefined);
  // A snapshot that got an impossible time some other way still renders everywhere.
  const fleet = [
    view({ id: 'ok', lastHeartbeat: NOW - 1000 }),
    view({ id: 'bad', lastHeartbeat: 1e300, task: { title: 't', startedAt: -1e300 } }),
  ];
  const json = toJson(fleet, NOW, 'here', { state: 'connected' }) as {
    workers: { id: string; lastHeartbeat: string | null }[];
  };
  assert.deepEqual(json.workers.map((w) => w.id).sort(), ['bad', 'ok']);
  assert.doesNotThrow(() => renderTable(fleet, NOW, { color: false }));
  assert.doesNotThrow(() => detailLines(fleet[1], NOW));
  assert.match(detailLines(fleet[1], NOW).find(([k]) => k === 'Last heartbeat')![1], /not a date/);
});

test('break 5: a stream entry or log line with an impossible time gets a renderable one', () => {
  const e = parseStreamEntry('events:stream', '99999999999999999999-0', ['event_type', 'x', 'timestamp', '1e300']);
  assert.doesNotThrow(() => new Date(e.entry.ts).toISOString());
  const e2 = parseStreamEntry('events:stream', '1700000000000-0', ['event_type', 'x', 'timestamp', '1e300']);
  assert.equal(e2.entry.ts, 1700000000000, 'the stream id time, not 1e300');
});

test('break 6: a 1 MB worker name prints a bounded table, whole in JSON up to the cap', () => {
  const huge = 'W'.repeat(1_000_000);
  const s = parseRecord('w1', { name: huge, status: 'idle', last_activity: NOW / 1000 }, F);
  assert.ok(s.name.length < 5000, `kept ${s.name.length} characters`);
  assert.match(s.name, /more characters\)$/);
  const out = renderTable(
    [view({ id: 'w1', name: huge, lastHeartbeat: NOW }), view({ id: 'w2', lastHeartbeat: NOW })],
    NOW,
    { color: false },
  );
  assert.ok(out.length < 1000, `table is ${out.length} characters`);
  assert.match(out, /^WWWW.*…/m);
  assert.match(out, /^w2 /m);
});

test('break 7: bidi overrides and controls in a name are shown escaped in the table, tree and JSON', () => {
  const spoof = 'evil\u202Eredoc\u2066x\u0007\u001b[2J';
  const w = view({ id: 'w1', name: spoof, lastHeartbeat: NOW, status: 'idle\u202E', task: { title: 't\u202Eitle' } });
  const table = renderTable([w], NOW, { color: false });
  assert.ok(!/[\u202E\u2066\u0007\u001b]/.test(table), JSON.stringify(table));
  assert.match(table, /evil\\u202Eredoc\\u2066x\\u0007\\u001B\[2J/);
  const json = JSON.stringify(toJson([w], NOW, 'here', { state: 'connected' }));
  assert.equal(JSON.parse(json).workers[0].name, spoof, 'JSON keeps the value');
  for (const [, v] of detailLines(w, NOW)) assert.ok(!/[\u202E\u0007\u001b]/.test(v), v);
  assert.ok(!/[\u202E]/.test(describeWorker({ ...w, health: 'working' }, NOW)));
});

test('break 10: a password written as the user part of a URL is masked', () => {
  assert.ok(!redactUrl('redis://SECRET@h:6379').includes('SECRET'), redactUrl('redis://SECRET@h:6379'));
  assert.ok(!redactUrl('rediss://SECRET@h:6379/0').includes('SECRET'));
  assert.ok(!redactUrlsIn('connect to redis://SECRET@h:6379 failed').includes('SECRET'));
  assert.equal(redactUrl('redis://user:secret@h:6379/2'), 'redis://user:***@h:6379/2');
  assert.equal(redactUrl('redis://h:6379'), 'redis://h:6379');
});

test('break 12: URL typos are refused in words before a client library throws', () => {
  for (const url of ['redis://h:6379/notanumber', 'redis://:%zz@h:6379', 'redis://h:99999', 'redis://h:6379/-1']) {
    const cli = parseCliArgs(['status', '--redis', url]);
    assert.equal(cli.command, 'error', url);
    assert.ok(
      cli.command === 'error' && !cli.message.includes('%zz'),
      'a URL that may hold a password is never quoted',
    );
    assert.ok(validateConnection({ name: 'r', type: 'redis', url }, 0).error, url);
  }
  assert.equal(parseCliArgs(['status', '--redis', 'redis://h:6379/3']).command, 'status');
});

test('break 12: a UTF-8 BOM before a heartbeat file is not "corrupt"', () => {
  const r = readHeartbeat(
    'w.json',
    'w',
    `\uFEFF${JSON.stringify({ worker: 'w', timestamp: NOW / 1000, status: 'idle' })}`,
    HEARTBEAT_FILE_FIELDS,
  );
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.snapshot.problems, []);
});

test('break 12: dates that do not exist are rejected, not rolled over', () => {
  for (const d of ['2024-02-30T10:00:00Z', '2023-02-29 10:00:00', '2024-04-31T00:00:00+02:00'])
    assert.equal(parseTime(d), undefined, d);
  assert.equal(parseTime('2024-02-29T10:00:00Z'), Date.parse('2024-02-29T10:00:00Z'), 'a leap day exists');
  assert.equal(parseLocalTime('2024-02-30 10:00:00'), undefined);
  const r = readHeartbeat(
    'w.json',
    'w',
    JSON.stringify({ worker: 'w', timestamp: '2024-02-30T10:00:00', status: 'idle' }),
    HEARTBEAT_FILE_FIELDS,
  );
  assert.ok(r.ok);
  assert.match(r.snapshot.problems.join(), /timestamp is not a timestamp/);
});

test('break 12: negative counters are a problem in words, not a number shown', () => {
  const s = parseRecord(
    'w1',
    { status: 'idle', last_activity: NOW / 1000, total_completed: '-5', total_errors: -1 },
    F,
  );
  assert.equal(s.completed, undefined);
  assert.equal(s.errors, undefined);
  assert.match(
    s.problems.join(' | '),
    /total_completed should not be negative.*\| total_errors should not be negative/,
  );
});

test('__proto__ and other Object.prototype names are plain fields', () => {
  const rec = JSON.parse('{"__proto__": {"status": "polluted"}, "status": "idle", "last_activity": 1770000000}');
  const s = parseRecord('w1', rec, { ...F, name: '__proto__' });
  assert.equal(({} as Record<string, unknown>).status, undefined);
  assert.equal(s.status, 'idle');
  const c = parseRecord('w2', {}, { ...F, status: 'constructor', name: 'toString' });
  assert.deepEqual(c.problems, [], "a field the record does not have is absent, not Object.prototype's");
  const e = parseStreamEntry('s', '1700000000000-0', [
    '__proto__',
    'x',
    'toString',
    'y',
    'data',
    '{"constructor":"z"}',
  ]);
  assert.match(e.entry.message, /__proto__=x/);
  assert.match(e.entry.message, /toString=y/);
  assert.match(e.entry.message, /constructor=z/);
});

test("break 12: ESC, BEL and newlines in a worker id are written out in the supervisor's log, one line per event", () => {
  const line = formatLogLine(
    'info',
    'restart worker-\u001b[31mred\u0007\nFAKE 2026 INFO done',
    Date.parse('2026-02-07T21:50:00Z'),
  );
  assert.equal(line, '2026-02-07T21:50:00.000Z INFO  restart worker-\\u001B[31mred\\u0007\\u000AFAKE 2026 INFO done\n');
  assert.match(parseSupervisorArgs(['--redis', 'redis://h:99999']).error ?? '', /port 99999/);
});

test("dashboard rows and log lines carry escaped text; the worker id stays the store's", () => {
  const rows = workerRows([view({ id: 'w\u202E1', name: 'n\u202Eame', task: { title: 'a\u0007b' } })], NOW);
  assert.equal(rows.rows[0].id, 'w\u202E1');
  assert.equal(rows.rows[0].name, 'n\\u202Eame');
  assert.equal(rows.rows[0].task, 'a\\u0007b');
  const log = new LogPipeline({ maxLines: 100 });
  log.add([{ ts: NOW, level: 'info', message: 'x\u202Ey\n\tat f (a.ts:1)', source: 's', worker: 'w\u001b' }]);
  const lines = log.all();
  assert.deepEqual(
    lines.map((l) => l.text),
    ['x\\u202Ey', '\tat f (a.ts:1)'],
  );
  assert.equal(lines[0].worker, 'w\\u001B');
});

test('break 7: the restart confirmation names a spoofing worker id as it is, escaped', () => {
  const cmd = new CommandRequester({ restart: ['pm2', 'restart', '${worker}'], timeoutMs: 1000 });
  const c = confirmation([newRequest('restart', { worker: 'db-backup\u202Epx' })], cmd, { connection: 'prod' });
  assert.equal(c.message, 'Restart worker "db-backup\\u202Epx" on "prod"?');
  assert.ok(!/\u202E/.test(c.detail), c.detail);
  const o = outcomeSummary([
    { request: newRequest('restart', { worker: 'a\u202Eb' }), outcome: { status: 'done', message: 'ok' } },
  ]);
  assert.equal(o.text, 'Restart a\\u202Eb: done — ok');
});
