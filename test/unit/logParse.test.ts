import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogPipeline, MAX_ROW_CHARS } from '../../src/core/logLines';
import {
  inferLevel,
  LogLineParser,
  parseLocalTime,
  parseLogLine,
  workerFromFileName,
} from '../../src/sources/files/logParse';
import { parseStreamEntry } from '../../src/sources/redis/streamEntry';

const local = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0) =>
  new Date(y, mo - 1, d, h, mi, s, ms).getTime();

describe('parseLogLine: the seed formats', () => {
  it('reads seed 004 worker and brain lines (no level: inferred)', () => {
    const p = parseLogLine(
      '[2026-02-07 21:05:50] [worker-gpu1] Worker initialized: worker-1 on GPU 1, Ollama port 11437',
    );
    assert.equal(p.ts, local(2026, 2, 7, 21, 5, 50));
    assert.equal(p.worker, 'worker-gpu1');
    assert.equal(p.level, undefined);
    assert.equal(p.message, 'Worker initialized: worker-1 on GPU 1, Ollama port 11437');
    const brain = parseLogLine(
      "[2026-02-07 21:50:00] [brain] Stuck tasks detected: [{'task_id': 'a1b2c3d4', 'assigned_to': 'worker-1'}]",
    );
    assert.equal(brain.worker, 'brain');
    assert.equal(brain.message, "Stuck tasks detected: [{'task_id': 'a1b2c3d4', 'assigned_to': 'worker-1'}]");
  });

  it('infers seed 004 levels: claim-loop noise is debug, crashes are errors, stuck tasks warnings', () => {
    assert.equal(
      inferLevel("No suitable tasks - Queue: [llm:125], Preferred: ['resource'], Model loaded: False"),
      'debug',
    );
    assert.equal(inferLevel('Heartbeat sent - status: idle, idle: 34s'), 'debug');
    assert.equal(inferLevel('Lock timeout: d5de16d7 (another worker has it)'), 'debug');
    assert.equal(inferLevel('Lost race: d5de16d7 (claimed by another worker)'), 'debug');
    assert.equal(inferLevel("Worker crashed in main loop: KeyError('model_name')"), 'error');
    assert.equal(inferLevel('Stuck tasks detected: [...]'), 'warn');
    assert.equal(inferLevel('Worker worker-1 last heartbeat 90s ago (threshold: 60s)'), 'info');
    assert.equal(inferLevel('Claimed resource task: d5de16d7 (load_llm)'), 'info');
  });

  it('reads Python logging formats', () => {
    const p = parseLogLine('2026-02-07 21:45:26,123 - worker.gpu1 - ERROR - Worker crashed in main loop: boom');
    assert.deepEqual(p, {
      ts: local(2026, 2, 7, 21, 45, 26, 123),
      worker: 'worker.gpu1',
      level: 'error',
      message: 'Worker crashed in main loop: boom',
    });
    assert.deepEqual(parseLogLine('WARNING:brain:load_llm task available for 62s'), {
      level: 'warn',
      worker: 'brain',
      message: 'load_llm task available for 62s',
    });
  });

  it('reads level words and tags in any order after a timestamp (seed 002 shell workers)', () => {
    const a = parseLogLine('2026-02-07T21:05:50Z ERROR [worker-3] git worktree add failed');
    assert.equal(a.ts, Date.UTC(2026, 1, 7, 21, 5, 50));
    assert.equal(a.level, 'error');
    assert.equal(a.worker, 'worker-3');
    assert.equal(a.message, 'git worktree add failed');
    const b = parseLogLine('[2026-02-07 21:05:50] [WARN] Retry 2/3 after Claude timeout');
    assert.equal(b.level, 'warn');
    assert.equal(b.worker, undefined);
    assert.equal(b.message, 'Retry 2/3 after Claude timeout');
  });

  it('reads JSON lines (pino numbers, structlog words) with their stack', () => {
    const p = parseLogLine(
      '{"time":1770498350000,"level":50,"msg":"job failed","worker":"w7","stack":"Error: x\\n    at run (/app/a.js:1:2)"}',
    );
    assert.equal(p.ts, 1770498350000);
    assert.equal(p.level, 'error');
    assert.equal(p.worker, 'w7');
    assert.equal(p.message, 'job failed\nError: x\n    at run (/app/a.js:1:2)');
    assert.equal(
      parseLogLine('{"event":"claimed","level":"info","timestamp":"2026-02-07T21:05:50Z"}').message,
      'claimed',
    );
    assert.equal(parseLogLine('{not json').message, '{not json');
  });

  it('keeps a line it cannot read whole, as the message', () => {
    assert.deepEqual(parseLogLine('plain text with <b>markup</b>'), { message: 'plain text with <b>markup</b>' });
  });

  it('reads naive timestamps as local time, zoned ones as given', () => {
    assert.equal(parseLocalTime('2026-02-07 21:05:50.5'), local(2026, 2, 7, 21, 5, 50, 500));
    assert.equal(parseLocalTime('2026-02-07T21:05:50+01:00'), Date.UTC(2026, 1, 7, 20, 5, 50));
    assert.equal(parseLocalTime('yesterday'), undefined);
  });

  it('names the worker after its log file', () => {
    assert.equal(workerFromFileName('/home/u/.claude/workers/errors/worker-3.log'), 'worker-3');
    assert.equal(workerFromFileName('worker_gpu1.err.log'), 'worker_gpu1');
    assert.equal(workerFromFileName('worker-2.log.1'), 'worker-2');
    assert.equal(workerFromFileName('notes.txt'), undefined);
  });
});

describe('LogLineParser', () => {
  it('keeps a traceback with the error above it: same time, worker and level', () => {
    const p = new LogLineParser('worker-1.log', 'worker-1', () => 0);
    const lines = [
      "[2026-02-07 21:45:26] [worker-gpu1] Worker crashed in main loop: KeyError('model_name')",
      'Traceback (most recent call last):',
      '  File "/app/shared/agents/worker.py", line 142, in run',
      "KeyError: 'model_name'",
      '[2026-02-07 21:45:26] [worker-gpu1] Worker shutting down - completed 42 tasks',
    ].map((l) => p.parse(l));
    assert.deepEqual(
      lines.map((e) => e.level),
      ['error', 'error', 'error', 'error', 'info'],
    );
    assert.ok(lines.every((e) => e.worker === 'worker-gpu1'));
    assert.ok(lines.every((e) => e.ts === local(2026, 2, 7, 21, 45, 26)));
  });

  it('gives unmarked lines the file worker and the clock', () => {
    const p = new LogLineParser('w.log', 'worker-9', () => 1234);
    assert.deepEqual(p.parse('starting', '0'), {
      ts: 1234,
      level: 'info',
      message: 'starting',
      source: 'w.log',
      worker: 'worker-9',
      id: '0',
    });
  });
});

describe('parseStreamEntry: the orchestrator streams', () => {
  it('reads a work_completions entry into a log line and a completion with its duration', () => {
    const { entry, event } = parseStreamEntry('work_completions', '1770498350000-0', [
      'worker_id',
      'w-3',
      'work_item_id',
      'issue-42',
      'duration',
      '12.5',
      'timestamp',
      '2026-02-07T21:05:50+00:00',
    ]);
    assert.equal(entry.worker, 'w-3');
    assert.equal(entry.level, 'info');
    assert.equal(entry.message, 'Completed issue-42 in 12s');
    assert.equal(entry.ts, Date.UTC(2026, 1, 7, 21, 5, 50));
    assert.equal(entry.id, '1770498350000-0');
    assert.deepEqual(event, { kind: 'completed', ts: entry.ts, worker: 'w-3', durationMs: 12_500 });
  });

  it('reads a work_errors entry as an error line and a failure, with its traceback', () => {
    const { entry, event } = parseStreamEntry('work_errors', '1770498350000-1', [
      'worker_id',
      'w-1',
      'work_item_id',
      'issue-7',
      'error',
      'git worktree conflict',
      'error_type',
      'worktree',
      'traceback',
      'Traceback (most recent call last):\n  File "/app/w.py", line 3, in run',
    ]);
    assert.equal(entry.level, 'error');
    assert.equal(
      entry.message,
      'Failed issue-7: git worktree conflict error_type=worktree\nTraceback (most recent call last):\n  File "/app/w.py", line 3, in run',
    );
    assert.equal(entry.ts, 1770498350000, 'time from the stream id when no field has it');
    assert.equal(event?.kind, 'failed');
  });

  it('reads JSON-wrapped events (lock-free state manager) and names the event', () => {
    const data = JSON.stringify({
      event_type: 'task_completed',
      worker_id: 'w-2',
      task_id: 't9',
      started_at: '2026-02-07T21:00:00Z',
      timestamp: '2026-02-07T21:01:30Z',
    });
    const { entry, event } = parseStreamEntry('stream:worker_events', '1-0', ['data', data]);
    assert.equal(entry.worker, 'w-2');
    assert.equal(event?.kind, 'completed');
    assert.equal(event?.durationMs, 90_000);
    const other = parseStreamEntry('events:stream', '2-0', [
      'event_type',
      'worker_heartbeat',
      'worker_id',
      'w-2',
      'status',
      'idle',
    ]);
    assert.equal(other.event, undefined);
    assert.equal(other.entry.message, 'worker_heartbeat status=idle');
    assert.equal(
      parseStreamEntry('events:stream', '3-0', ['event', 'worker_crashed', 'worker_id', 'w-4']).entry.level,
      'error',
    );
  });
});

describe('LogPipeline', () => {
  it('splits multi-line messages into rows, links resolvable frames, and stays within maxLines', () => {
    const p = new LogPipeline({ maxLines: 100, resolves: (path) => path.endsWith('w.py') });
    p.add([
      {
        ts: 1,
        level: 'error',
        message: 'Failed\n  File "/app/w.py", line 3, in run\n  File "/usr/lib/python3/x.py", line 9',
        source: 's',
        worker: 'w1',
      },
    ]);
    const rows = p.takePending();
    assert.equal(rows.length, 3);
    assert.deepEqual(
      rows.map((r) => r.cont ?? false),
      [false, true, true],
    );
    assert.deepEqual(
      rows[1]!.links?.map((l) => l.path),
      ['/app/w.py'],
    );
    assert.equal(rows[2]!.links, undefined, 'a frame outside the workspace is plain text');
    for (let i = 0; i < 1000; i++) p.add([{ ts: i, level: 'info', message: `line ${i}`, source: 's' }]);
    assert.equal(p.size, 100);
    assert.equal(p.takePending().length, 100);
    assert.ok(p.all().every((r, i, a) => i === 0 || r.seq > a[i - 1]!.seq));
  });

  it('cuts huge lines and runaway stacks', () => {
    const p = new LogPipeline({ maxLines: 1000 });
    p.add([{ ts: 1, level: 'info', message: 'x'.repeat(100_000), source: 's' }]);
    assert.equal(p.all()[0]!.text.length, MAX_ROW_CHARS + 1);
    p.clear();
    p.add([
      { ts: 1, level: 'error', message: Array.from({ length: 5000 }, (_, i) => `frame ${i}`).join('\n'), source: 's' },
    ]);
    assert.equal(p.size, 201);
    assert.equal(p.all()[200]!.text, '… 4800 more lines');
  });
});
