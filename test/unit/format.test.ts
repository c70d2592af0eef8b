import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAge, formatBytes, formatDuration } from '../../src/core/format';
import { describeWorker, detailLines, freshness } from '../../src/core/describe';
import type { WorkerView } from '../../src/core/model';
import { effectiveThresholds, redactUrl, redactUrlsIn, validateConnection } from '../../src/core/connectionConfig';

test('formatDuration at each unit boundary', () => {
  const cases: [number, string][] = [
    [-5000, '0s'],
    [0, '0s'],
    [999, '0s'],
    [1000, '1s'],
    [59_999, '59s'],
    [60_000, '1m 0s'],
    [192_000, '3m 12s'],
    [3_599_999, '59m 59s'],
    [3_600_000, '1h 0m'],
    [7_500_000, '2h 5m'],
    [86_399_999, '23h 59m'],
    [86_400_000, '1d 0h'],
    [273_600_000, '3d 4h'],
  ];
  for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, String(ms));
});

test('formatAge and formatBytes', () => {
  assert.equal(formatAge(undefined, 1000), 'never');
  assert.equal(formatAge(1000, 5000), '4s ago');
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1024), '1.0 KiB');
  assert.equal(formatBytes(1536 * 1024), '1.5 MiB');
  assert.equal(formatBytes(3 * 1024 ** 3), '3.00 GiB');
});

const NOW = Date.parse('2024-06-01T12:00:00Z');
function view(extra: Partial<WorkerView>, snap: Partial<WorkerView['snapshot']> = {}): WorkerView {
  return {
    health: 'healthy',
    reason: 'Idle, heartbeat fresh',
    stale: false,
    snapshot: { id: 'w1', name: 'w1', problems: [], lastHeartbeat: NOW - 4000, ...snap },
    ...extra,
  };
}

test('describeWorker: the three lines of the issue', () => {
  assert.equal(
    describeWorker(view({ health: 'working' }, { task: { title: 'Fix login bug', startedAt: NOW - 192_000 } }), NOW),
    'working · Fix login bug · 3m 12s',
  );
  assert.equal(describeWorker(view({}), NOW), 'idle · seen 4s ago');
  assert.equal(
    describeWorker(view({ health: 'dead' }, { lastHeartbeat: NOW - 120_000 }), NOW),
    'dead · last seen 2m 0s ago',
  );
});

test('describeWorker: unknown, stale, pending, task without title', () => {
  assert.equal(describeWorker(view({ health: 'unknown' }, { problems: ['bad'] }), NOW), 'unknown · unreadable record');
  assert.equal(
    describeWorker(view({ health: 'unknown' }, { lastHeartbeat: undefined }), NOW),
    'unknown · no heartbeat yet',
  );
  assert.equal(describeWorker(view({ stale: true }), NOW), 'idle · seen 4s ago · (stale)');
  assert.equal(describeWorker(view({ pending: 'restarting…' }), NOW), 'idle · restarting… · seen 4s ago');
  assert.equal(describeWorker(view({ health: 'slow' }, { task: { id: 't9' } }), NOW), 'slow · t9');
});

test('detailLines: every known field, problems and staleness', () => {
  const rows = detailLines(
    view(
      { stale: true },
      {
        status: 'idle',
        completed: 3,
        errors: 1,
        specialization: 'ml',
        pid: 42,
        host: 'h',
        uptimeSeconds: 61,
        memoryBytes: 2048,
        problems: ['x is bad'],
        task: { title: 'T', id: '7', type: 'bug', repository: 'r', startedAt: NOW - 1000 },
      },
    ),
    NOW,
  );
  const map = new Map(rows);
  assert.equal(map.get('Task'), 'T #7');
  assert.equal(map.get('Completed'), '3');
  assert.equal(map.get('Uptime'), '1m 1s');
  assert.equal(map.get('Memory'), '2.0 KiB');
  assert.equal(map.get('Problem'), 'x is bad');
  assert.match(map.get('Data')!, /Stale/);
  assert.match(map.get('Last heartbeat')!, /^4s ago \(2024-06-01T11:59:56.000Z\)$/);
});

test('connection config: validation in words, thresholds merged field by field, URLs redacted', () => {
  assert.match(validateConnection({ name: 'x', type: 'redis' }, 0).error!, /needs a "url"/);
  assert.match(validateConnection({ name: 'x', type: 'redis', url: 'http://h' }, 1).error!, /redis:\/\//);
  assert.match(validateConnection('nope', 2).error!, /should be an object/);
  assert.ok(validateConnection({ name: 'p', type: 'redis', url: 'redis://h:6379', preset: 'orchestrator' }, 0).config);
  // What the client libraries would throw on is said first, without quoting a password.
  assert.match(validateConnection({ name: 'x', type: 'redis', url: 'redis://h:abc' }, 0).error!, /url is not a URL/);
  const badEscape = validateConnection({ name: 'x', type: 'redis', url: 'redis://:50%off@h:6379' }, 0).error!;
  assert.match(badEscape, /password in url has a "%"/);
  assert.ok(!badEscape.includes('50%off'));
  assert.match(validateConnection({ name: 's', type: 'supabase', url: 'abc.supabase.co' }, 0).error!, /not a URL/);
  assert.match(
    validateConnection({ name: 's', type: 'supabase', url: 'ftp://abc.supabase.co' }, 0).error!,
    /https:\/\//,
  );
  assert.ok(validateConnection({ name: 's', type: 'supabase', url: 'https://abc.supabase.co' }, 0).config);
  assert.match(
    validateConnection({ name: 'f', type: 'files', path: '/tmp/w', pattern: 7 }, 0).error!,
    /"pattern" should be a string/,
  );
  assert.match(
    validateConnection({ name: 's', type: 'supabase', url: 'https://a.supabase.co', preset: 'orchestrator' }, 0).error!,
    /preset "orchestrator" is not one for a supabase connection; use "supabase-heartbeat"/,
  );
  assert.ok(validateConnection({ name: 'f', type: 'files', path: '/tmp/w' }, 0).config, 'preset left out');
  assert.equal(
    redactUrlsIn('Invalid: redis://u:pw@h:1 and https://x.co/a'),
    'Invalid: redis://u:***@h:1 and https://x.co/a',
  );
  assert.deepEqual(
    effectiveThresholds(
      { unresponsiveAfterSeconds: 20, deadAfterSeconds: 40 },
      { deadAfterSeconds: 90, slowTaskAfterMinutes: 'x' as never },
    ),
    {
      unresponsiveAfterSeconds: 20,
      deadAfterSeconds: 90,
      slowTaskAfterMinutes: 15,
      adaptive: true,
    },
  );
  assert.equal(redactUrl('redis://user:secret@h:6379/2'), 'redis://user:***@h:6379/2');
  assert.ok(!redactUrl('redis://:secret@h:6379').includes('secret'));
});

test('freshness: the one word in the view title says whether what you see is live', () => {
  assert.equal(
    freshness({ state: 'connected', liveMode: 'events stream (events:stream), reconcile every 15s' }),
    'live',
  );
  assert.equal(freshness({ state: 'connected', liveMode: 'Realtime (postgres_changes), reconcile every 15s' }), 'live');
  assert.equal(
    freshness({ state: 'connected', liveMode: 'poll every 2s (PostgREST)', message: 'Polling: Realtime refused…' }),
    'polling',
  );
  assert.equal(freshness({ state: 'error', message: 'Connection refused', liveMode: 'events stream' }), 'stale');
  assert.equal(freshness({ state: 'connecting' }), 'connecting');
});
