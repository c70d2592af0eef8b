import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCliArgs } from '../../src/cli/args';
import { exitCodeFor, headerLine, renderTable, sortForStatus, summaryLine, toJson } from '../../src/cli/render';
import type { Health, WorkerSnapshot, WorkerView } from '../../src/core/model';

const NOW = Date.parse('2026-02-07T21:50:00Z');

function view(name: string, health: Health, extra: Partial<WorkerSnapshot> = {}, reason = 'why'): WorkerView {
  return {
    snapshot: { id: name, name, problems: [], lastHeartbeat: NOW - 4_000, ...extra },
    health,
    reason,
    stale: false,
  };
}

const FLEET: WorkerView[] = [
  view('worker-idle', 'healthy', { completed: 3, errors: 0 }),
  view('worker-build', 'working', {
    task: { id: 'T-42', title: 'Fix login bug', startedAt: NOW - 192_000 },
    completed: 14,
    errors: 1,
  }),
  view('worker-dead', 'dead', { lastHeartbeat: NOW - 120_000, completed: 40, errors: 2 }),
  view('worker-garbled', 'unknown', {
    lastHeartbeat: undefined,
    problems: ['worker:state:worker-garbled is not valid JSON'],
  }),
  view('worker-slow', 'slow', { task: { title: 'Reindex search', startedAt: NOW - 20 * 60_000 }, completed: 7 }),
  view('worker-crashed', 'crashed', { status: 'crashed', completed: 9, errors: 10 }),
];

test('table: problems first, then by name; ages, task elapsed, counters, notes for unreadable records', () => {
  const expected = [
    'WORKER          HEALTH   TASK            ELAPSED  LAST SEEN  DONE  ERRORS',
    'worker-dead     dead                              2m 0s ago    40       2',
    'worker-crashed  crashed                              4s ago     9      10',
    'worker-slow     slow     Reindex search   20m 0s     4s ago     7',
    'worker-build    working  Fix login bug    3m 12s     4s ago    14       1',
    'worker-idle     idle                                 4s ago     3       0',
    'worker-garbled  unknown                               never',
    '',
    'worker-garbled: worker:state:worker-garbled is not valid JSON',
    '',
  ].join('\n');
  assert.equal(renderTable(FLEET, NOW, { color: false }), expected);
  assert.equal(summaryLine(FLEET), '3/6 alive · 1 dead · 1 crashed · 1 unknown');
});

test('table: columns nobody has are left out; an empty fleet says so', () => {
  const out = renderTable([view('a', 'healthy'), view('b', 'unresponsive', { lastHeartbeat: NOW - 20_000 })], NOW, {
    color: false,
  });
  assert.equal(
    out,
    [
      'WORKER  HEALTH        TASK  LAST SEEN',
      'b       unresponsive          20s ago',
      'a       idle                   4s ago',
      '',
    ].join('\n'),
  );
  assert.equal(renderTable([], NOW, { color: false }), 'No workers found.\n');
  assert.equal(summaryLine([]), '0/0 alive');
});

test('table: colours only when asked, padding unaffected; long tasks shrink to the terminal width', () => {
  const coloured = renderTable(FLEET, NOW, { color: true });
  assert.match(coloured, /\x1b\[31mdead {3}\x1b\[0m/, 'dead in red, padded inside the colour');
  assert.match(coloured, /\x1b\[32mworking\x1b\[0m/);
  assert.equal(coloured.replace(/\x1b\[\d+m/g, ''), renderTable(FLEET, NOW, { color: false }));
  assert.doesNotMatch(renderTable(FLEET, NOW, { color: false }), /\x1b/);
  const long = [
    view('w', 'working', {
      task: { title: 'A very long task title that goes on and on and on forever', startedAt: NOW - 1000 },
    }),
  ];
  const narrow = renderTable(long, NOW, { color: false, width: 50 }).split('\n');
  assert.ok(
    narrow.every((l) => l.length <= 50),
    narrow.join('\n'),
  );
  assert.match(narrow[1], /A very long…/);
});

test('table: control characters from the store cannot break lines or drive the terminal', () => {
  const out = renderTable([view('evil\x1b[2J', 'working', { task: { title: 'two\nlines' } })], NOW, { color: false });
  assert.doesNotMatch(out, /\x1b/);
  assert.equal(out.trimEnd().split('\n').length, 2);
});

test('exit code: 1 only when a worker is dead or crashed', () => {
  assert.equal(exitCodeFor(FLEET), 1);
  assert.equal(
    exitCodeFor([view('a', 'healthy'), view('b', 'unresponsive'), view('c', 'stopped'), view('d', 'unknown')]),
    0,
  );
  assert.equal(exitCodeFor([view('c', 'crashed')]), 1);
  assert.equal(exitCodeFor([]), 0);
  assert.deepEqual(
    sortForStatus(FLEET).map((w) => w.health),
    ['dead', 'crashed', 'slow', 'working', 'healthy', 'unknown'],
  );
});

test('json: ISO times plus ages in seconds, summary and exit code', () => {
  const j = toJson(FLEET, NOW, 'redis://h:6379/', { state: 'connected', liveMode: 'poll every 2s' }) as {
    summary: { total: number; alive: number; byHealth: Record<string, number> };
    exitCode: number;
    workers: {
      name: string;
      health: string;
      lastHeartbeat: string | null;
      lastSeenSecondsAgo: number | null;
      task: { startedAt: string; elapsedSeconds: number } | null;
    }[];
  };
  assert.equal(j.summary.total, 6);
  assert.equal(j.summary.alive, 3);
  assert.equal(j.summary.byHealth.dead, 1);
  assert.equal(j.exitCode, 1);
  assert.equal(j.workers[0].name, 'worker-dead');
  assert.equal(j.workers[0].lastSeenSecondsAgo, 120);
  const build = j.workers.find((w) => w.name === 'worker-build')!;
  assert.deepEqual(build.task, {
    id: 'T-42',
    title: 'Fix login bug',
    startedAt: new Date(NOW - 192_000).toISOString(),
    elapsedSeconds: 192,
  });
  assert.equal(j.workers.find((w) => w.name === 'worker-garbled')!.lastHeartbeat, null);
});

test('header: where, how it is live, and the error when the store is away', () => {
  assert.match(
    headerLine('/tmp/hb', { state: 'connected', liveMode: 'file events' }, NOW, false),
    /^\/tmp\/hb · file events · /,
  );
  assert.match(
    headerLine('/tmp/hb', { state: 'error', message: 'Folder gone' }, NOW, false),
    /Folder gone · showing last known data/,
  );
});

test('args: sources, flags and usage errors', () => {
  const a = parseCliArgs(['status', '--redis', 'redis://h:1', '--json', '--dead-after', '60']);
  assert.equal(a.command, 'status');
  if (a.command !== 'status') return;
  assert.deepEqual(a.source, { kind: 'redis', url: 'redis://h:1' });
  assert.equal(a.json, true);
  assert.equal(a.watch, false);
  assert.deepEqual(a.thresholds, { deadAfterSeconds: 60 });
  assert.equal(a.intervalMs, 2000);

  const f = parseCliArgs(['--folder', './hb', '-w', '--interval', '0.5', '--no-color', '--pattern', 'w-*.json']);
  assert.ok(
    f.command === 'status' &&
      f.source?.kind === 'folder' &&
      f.watch &&
      f.intervalMs === 500 &&
      f.color === false &&
      f.pattern === 'w-*.json',
  );
  const none = parseCliArgs(['status']);
  assert.ok(none.command === 'status' && none.source === undefined, 'no source: the runner looks for ./.workers');

  assert.equal(parseCliArgs(['--help']).command, 'help');
  const errors: [string[], RegExp][] = [
    [['status', '--redis', 'redis://a', '--folder', 'b'], /not several/],
    [['status', '--redis', 'localhost:6379'], /redis:\/\//],
    [['status', '--interval', 'soon'], /positive number/],
    [['status', '--bogus'], /Unknown option/],
    [['restart', '3'], /Unknown command/],
    [['--redis', 'redis://a', '--pattern', '*.json'], /--folder only/],
  ];
  for (const [argv, re] of errors) {
    const e = parseCliArgs(argv);
    assert.equal(e.command, 'error', argv.join(' '));
    if (e.command === 'error') assert.match(e.message, re);
  }
});
