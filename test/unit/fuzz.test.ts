import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseCliArgs } from '../../src/cli/args';
import { renderTable, toJson } from '../../src/cli/render';
import { parseSupervisorArgs } from '../../src/companion/supervisorCli';
import { fromFields, resultFromFields } from '../../src/control/request';
import { isSaneTime, MAX_TEXT, terminalJson } from '../../src/core/checked';
import { checkRedisUrl, redactUrl, redactUrlsIn, validateConnection } from '../../src/core/connectionConfig';
import { describeWorker, detailLines } from '../../src/core/describe';
import { classify } from '../../src/core/health';
import { LogLineParser, parseLogLine } from '../../src/sources/files/logParse';
import { ALL_HEALTH, DEFAULT_THRESHOLDS, type WorkerSnapshot, type WorkerView } from '../../src/core/model';
import { parseRecord, type FieldMap } from '../../src/core/record';
import { parseStreamEntry } from '../../src/sources/redis/streamEntry';
import { HEARTBEAT_FILE_FIELDS, readHeartbeat } from '../../src/sources/files/heartbeatPreset';
import { workerIdsFromEntry } from '../../src/sources/redis/eventEntry';
import { ORCHESTRATOR_FIELDS, ORCHESTRATOR_KEYS } from '../../src/sources/redis/orchestratorPreset';
import { toSnapshot } from '../../src/sources/redis/readWorkers';
import { SUPABASE_HEARTBEAT_COLUMNS } from '../../src/sources/supabase/supabasePreset';

/*
 * Property-based fuzzing of every parser of store data and user input (issue 14).
 * Invariant: a worker or a line comes out (possibly unknown, with a reason), nothing
 * throws, nothing the store said is silently lost, and what is rendered is bounded and
 * escaped. RUNS inputs per parser per run; a failure prints the seed and path to replay
 * it: FUZZ_SEED=<seed> node --import tsx --test test/unit/fuzz.test.ts
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const NOW = Date.parse('2026-02-07T21:50:00Z');
// Characters a terminal or the tree would obey: must never reach rendered text raw.

const RAW_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function check<T>(name: string, prop: fc.IProperty<T>): void {
  try {
    fc.assert(prop, { numRuns: RUNS, seed: SEED });
  } catch (err) {
    // fast-check's message names seed and path; said once more in plain words for the log.
    throw new Error(`${name}: failed with FUZZ_SEED=${SEED}\n${(err as Error).message}`);
  }
}

// ---- what stores hold: strings of every kind, with the values that broke things before ----
const special = fc.constantFrom(
  '1e300',
  '1e400',
  '-5',
  '-1',
  '0',
  'NaN',
  'Infinity',
  '9'.repeat(30),
  '2024-02-30T10:00:00',
  '2024-02-29 23:59:59.999999+00:00',
  '2026-02-07T21:49:00Z',
  '1770500000',
  '1770500000000',
  '__proto__',
  'constructor',
  'null',
  'None',
  '',
  ' ',
  '{}',
  '[]',
  '{"id":1,"title":"t","started_at":"1e300"}',
  'evil\u202Eexe.txt',
  '\u001b[2J\u0007',
  '\uFEFF{}',
  'a\nb\r\nc',
  '\ud800',
);
const big = fc.constantFrom('W'.repeat(100_000), `${'\u202E'.repeat(5000)}x`);
// Huge values are rare (each costs a 100 KB render): enough to meet them hundreds of times a run.
const text = fc.oneof(
  { weight: 30, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 20, arbitrary: special },
  { weight: 1, arbitrary: big },
);
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: text },
  { weight: 2, arbitrary: fc.double() },
  {
    weight: 1,
    arbitrary: fc.constantFrom(1e300, -1e300, Number.MAX_VALUE, -0, 1.7e9, 1.7e12, 1.7e15, 1.7e18, 2 ** 53, -3),
  },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** An object built as ioredis and JSON.parse build them: `__proto__` and `constructor` are own fields. */
function own(entries: [string, unknown][]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries)
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}
const fieldNames = (m: FieldMap) => Object.values(m).filter((v): v is string => typeof v === 'string');
const key = (m: FieldMap) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...fieldNames(m), '__proto__', 'constructor', 'toString') },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  );
const record = (m: FieldMap, v: fc.Arbitrary<unknown> = value) =>
  fc.array(fc.tuple(key(m), v), { maxLength: 12 }).map(own);
const workerId = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
  fc.constantFrom('w1', '__proto__', 'a\u202Eb', 'x'.repeat(5000)),
);

/** What every snapshot must satisfy, and every view must survive. */
function checkSnapshot(s: WorkerSnapshot, id?: string): void {
  if (id !== undefined) assert.equal(s.id, id);
  assert.equal(typeof s.name, 'string');
  assert.ok(s.name.length <= MAX_TEXT + 40 || s.name === s.id, 'name bounded');
  assert.ok(Array.isArray(s.problems) && s.problems.every((p) => typeof p === 'string' && p.length > 0));
  for (const t of [s.lastHeartbeat, s.task?.startedAt]) assert.ok(t === undefined || isSaneTime(t), `time ${t}`);
  for (const n of [s.completed, s.errors, s.pid, s.uptimeSeconds, s.memoryBytes])
    assert.ok(n === undefined || (Number.isFinite(n) && n >= 0), `count ${n}`);
  const c = classify(s, DEFAULT_THRESHOLDS, NOW);
  assert.ok(ALL_HEALTH.includes(c.health));
  if (s.problems.length) assert.equal(c.health, 'unknown', 'a problem is never guessed around');
  const v: WorkerView = { snapshot: s, health: c.health, reason: c.reason, stale: false };
  const table = renderTable([v], NOW, { color: false, width: 120 });
  assert.ok(!RAW_UNSAFE.test(table.replace(/\n/g, '')), 'table escaped');
  assert.ok(table.length < 2000, `table ${table.length} characters`);
  const json = toJson([v], NOW, 'fuzz', { state: 'connected' });
  assert.deepEqual(JSON.parse(terminalJson(json)), JSON.parse(JSON.stringify(json)), 'terminal JSON means the same');
  for (const [, line] of detailLines(v, NOW)) assert.ok(!RAW_UNSAFE.test(line), 'tooltip escaped');
  for (const h of ['working', 'dead', 'unknown', c.health] as const)
    assert.ok(!RAW_UNSAFE.test(describeWorker({ ...v, health: h }, NOW)));
}

/** A field the store wrote (non-empty) comes out as a value or as a problem naming it: never dropped in silence. */
function accounted(s: WorkerSnapshot, rec: Record<string, unknown>, field: string | undefined, got: unknown): void {
  if (!field || !Object.prototype.hasOwnProperty.call(rec, field)) return;
  const v = rec[field];
  if (v === undefined || v === null || v === '') return;
  assert.ok(
    got !== undefined || s.problems.some((p) => p.includes(field)),
    `${field}=${String(v).slice(0, 40)} vanished`,
  );
}

test('fuzz: Redis worker records (hashes and JSON strings) always give a worker', () => {
  check(
    'redis records',
    fc.property(
      workerId,
      fc.oneof(
        record(ORCHESTRATOR_FIELDS, text).map((value) => ({
          kind: 'hash' as const,
          value: value as Record<string, string>,
        })),
        fc
          .oneof(
            text,
            record(ORCHESTRATOR_FIELDS).map((r) => JSON.stringify(r)),
            fc.json(),
          )
          .map((value) => ({ kind: 'string' as const, value })),
      ),
      (id, raw) => {
        const s = toSnapshot(id, raw, ORCHESTRATOR_KEYS, ORCHESTRATOR_FIELDS);
        checkSnapshot(s, id);
        if (raw.kind === 'hash' && Object.keys(raw.value).length) {
          accounted(s, raw.value, ORCHESTRATOR_FIELDS.lastHeartbeat, s.lastHeartbeat);
          accounted(s, raw.value, ORCHESTRATOR_FIELDS.completed, s.completed);
          accounted(s, raw.value, ORCHESTRATOR_FIELDS.errors, s.errors);
        }
      },
    ),
  );
});

test('fuzz: Supabase rows (any JSON column values, dotted columns) always give a worker', () => {
  const cols: FieldMap = { ...SUPABASE_HEARTBEAT_COLUMNS, pid: 'meta.pid', host: 'meta.host' };
  check(
    'supabase rows',
    fc.property(
      workerId,
      record(cols),
      fc.option(fc.oneof(record({ status: 'pid', lastHeartbeat: 'host' }), text)),
      (id, row, meta) => {
        if (meta !== null) row.meta = meta;
        const s = parseRecord(id, row, cols);
        checkSnapshot(s, id);
        accounted(s, row, cols.lastHeartbeat, s.lastHeartbeat);
        accounted(s, row, cols.errors, s.errors);
      },
    ),
  );
});

test('fuzz: heartbeat files (any bytes, BOMs, JSON of any shape) give a worker or a problem in words', () => {
  const fileText = fc.oneof(
    text,
    fc.json(),
    record(HEARTBEAT_FILE_FIELDS).map((r) => JSON.stringify(r)),
    record(HEARTBEAT_FILE_FIELDS).map((r) => `\uFEFF${JSON.stringify(r)}`),
  );
  check(
    'heartbeat files',
    fc.property(fileText, (t) => {
      const r = readHeartbeat('w.json', 'w', t, HEARTBEAT_FILE_FIELDS);
      if (r.ok) checkSnapshot(r.snapshot);
      else assert.ok(r.problem.startsWith('w.json ') && typeof r.transient === 'boolean');
    }),
  );
});

test('fuzz: log lines always give an entry that keeps the text', () => {
  const line = fc.oneof(
    text,
    fc
      .tuple(
        fc.constantFrom(
          '[2026-02-07 21:05:50] ',
          '2026-02-07 21:05:50,123 - ',
          '2026-02-07T21:05:50Z ERROR ',
          'INFO:',
          '[2024-02-30 10:00:00] ',
          '',
        ),
        fc.constantFrom('[worker-1] ', 'w - INFO - ', ''),
        text,
      )
      .map((p) => p.join('')),
    record({ status: 'msg', lastHeartbeat: 'time', name: 'level', task: 'worker' }).map((r) => JSON.stringify(r)),
  );
  const parser = new LogLineParser('fuzz.log', 'w', () => NOW);
  check(
    'log lines',
    fc.property(line, (l) => {
      const p = parseLogLine(l);
      assert.equal(typeof p.message, 'string');
      assert.ok(p.ts === undefined || isSaneTime(p.ts), `ts ${p.ts}`);
      // Nothing lost: a plain line's message is the line after its recognised prefix.
      if (!l.startsWith('{')) assert.ok(l.replace(/\r$/, '').includes(p.message.trim()), 'message kept');
      const e = parser.parse(l);
      assert.ok(Number.isFinite(e.ts) && ['debug', 'info', 'warn', 'error'].includes(e.level));
      assert.doesNotThrow(() => new Date(e.ts).toISOString());
    }),
  );
});

test('fuzz: stream entries always give a log line; fields nobody reads are shown, not dropped', () => {
  const streamId = fc.oneof(
    fc.constantFrom('1700000000000-0', '99999999999999999999-0', '0-0', 'x'),
    fc.string({ maxLength: 24 }),
  );
  const fieldList = fc.array(
    fc.tuple(
      fc.oneof(
        key({
          status: 'worker_id',
          lastHeartbeat: 'timestamp',
          name: 'duration',
          task: 'data',
          errors: 'event_type',
          completed: 'started_at',
        }),
        fc.string(),
      ),
      text,
    ),
    { maxLength: 10 },
  );
  const extra = fc.array(
    fc.tuple(
      fc.stringMatching(/^[a-z]{1,6}$/).map((k) => `x_${k}`),
      fc.stringMatching(/^[a-z0-9]{0,8}$/),
    ),
    { maxLength: 4 },
  );
  check(
    'stream entries',
    fc.property(
      fc.constantFrom('work_completions', 'work_errors', 'events:stream', 'mine'),
      streamId,
      fieldList,
      extra,
      (stream, id, pairs, mine) => {
        const fields = [...pairs, ...mine].flat();
        const { entry, event } = parseStreamEntry(stream, id, fields);
        assert.ok(isSaneTime(entry.ts), `ts ${entry.ts}`);
        assert.equal(entry.id, id);
        assert.ok(typeof entry.message === 'string' && entry.message.length > 0);
        if (event)
          assert.ok(event.durationMs === undefined || (Number.isFinite(event.durationMs) && event.durationMs >= 0));
        // Own fields (unknown to every reader) appear as key=value while the line has room.
        const seen = new Map(pairs);
        const shown = mine.filter(([k]) => !seen.has(k));
        if (
          shown.length &&
          shown.reduce((n, [k, v]) => n + k.length + v.length + 2, 0) < 200 &&
          pairs.every(([k, v]) => k.length + v.length < 40)
        ) {
          const last = new Map(shown);
          for (const [k, v] of last)
            assert.ok(entry.message.includes(`${k}=${v}`), `${k}=${v} lost from ${entry.message}`);
        }
        assert.ok(Array.isArray(workerIdsFromEntry(fields, ORCHESTRATOR_KEYS.state)));
      },
    ),
  );
});

test('fuzz: control requests and results read back as a request, a result or a refusal in words', () => {
  const controlField = fc.oneof(
    fc.constantFrom(
      'id',
      'action',
      'worker',
      'count',
      'requested_by',
      'requested_at',
      'timeout_ms',
      'status',
      'message',
      'supervisor',
      '__proto__',
    ),
    fc.string({ maxLength: 8 }),
  );
  const controlValue = fc.oneof(
    fc.constantFrom('restart', 'scale', 'done', 'failed', 'accepted', '5', '-1', '1e300', '99999999999', ''),
    text,
  );
  check(
    'control results',
    fc.property(fc.array(fc.tuple(controlField, controlValue), { maxLength: 10 }), (pairs) => {
      const fields = pairs.flat();
      const r = fromFields(fields);
      assert.ok((r.request === undefined) !== (r.error === undefined), 'a request or an error, never both or neither');
      if (r.request)
        assert.ok(
          r.request.action === 'restart' ? typeof r.request.worker === 'string' : Number.isInteger(r.request.count),
        );
      const res = resultFromFields(fields);
      if (res) assert.ok(['accepted', 'done', 'failed'].includes(res.status) && typeof res.message === 'string');
    }),
  );
});

test('fuzz: CLI and supervisor arguments give a command or a one-line usage error', () => {
  const flag = fc.constantFrom(
    'status',
    '--redis',
    '--folder',
    '--supabase',
    '--json',
    '--watch',
    '--interval',
    '--timeout',
    '--dead-after',
    '--pattern',
    '--color',
    '--no-color',
    '-w',
    '-h',
    '--restart',
    '--scale',
    '--pool-size',
    '--config',
  );
  const arg = fc.oneof(
    { weight: 3, arbitrary: flag },
    { weight: 2, arbitrary: special },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'redis://h:6379/0',
        'redis://h:99999',
        'redis://:%zz@h',
        'redis://h/x',
        'https://p.supabase.co',
        '0',
        '-1',
        '1e400',
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  );
  check(
    'cli arguments',
    fc.property(fc.array(arg, { maxLength: 8 }), (argv) => {
      const r = parseCliArgs(argv);
      if (r.command === 'error') assert.ok(r.message.length > 0);
      if (r.command === 'status')
        assert.ok(
          Number.isFinite(r.intervalMs) && r.intervalMs >= 250 && Number.isFinite(r.timeoutMs) && r.timeoutMs > 0,
        );
      const s = parseSupervisorArgs(argv, {});
      assert.ok(s.help || s.error !== undefined || s.options !== undefined || s.supabase !== undefined);
    }),
  );
});

test('fuzz: URLs are refused in words or accepted, and their passwords never printed', () => {
  const secret = fc.stringMatching(/^[A-Za-z0-9]{6,12}$/).map((s) => `PW${s}`);
  const host = fc.constantFrom('h', '127.0.0.1', '[::1]', 'redis.example', '');
  const port = fc.oneof(
    fc.constantFrom('', ':6379', ':0', ':99999', ':x'),
    fc.integer({ min: 0, max: 200_000 }).map((n) => `:${n}`),
  );
  const db = fc.constantFrom('', '/0', '/15', '/notanumber', '/-1', '/%zz');
  check(
    'urls',
    fc.property(
      fc.constantFrom('redis://', 'rediss://', 'http://', ''),
      fc.constantFrom('user:', ':', ''),
      secret,
      host,
      port,
      db,
      (scheme, user, pw, h, p, d) => {
        const url = `${scheme}${user}${pw}@${h}${p}${d}`;
        // In running text only what has a scheme is recognisable as a URL.
        const shownIn = scheme ? [redactUrlsIn(`cannot connect to ${url} now`)] : [];
        for (const shown of [redactUrl(url), ...shownIn]) assert.ok(!shown.includes(pw), `${pw} shown in ${shown}`);
        const v = validateConnection({ name: 'c', type: 'redis', url }, 0);
        assert.ok((v.config === undefined) !== (v.error === undefined));
        if (v.error) assert.ok(!v.error.includes(pw), v.error);
        const problem = checkRedisUrl(url);
        if (problem) assert.ok(!problem.includes(pw));
        const cli = parseCliArgs(['--redis', url]);
        if (cli.command === 'error') assert.ok(!cli.message.includes(pw), cli.message);
      },
    ),
  );
});
