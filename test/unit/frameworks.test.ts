import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCliArgs, type StatusArgs } from '../../src/cli/args';
import { validateConnection } from '../../src/core/connectionConfig';
import { classify } from '../../src/core/health';
import { DEFAULT_THRESHOLDS, type WorkerSnapshot } from '../../src/core/model';
import { decodeCeleryEvents } from '../../src/sources/redis/frameworks/celeryEvents';
import { snapshotOf } from '../../src/sources/redis/frameworks/celery';
import { addReply, type ActiveTask } from '../../src/sources/redis/frameworks/celeryInspect';
import { parseClientList } from '../../src/sources/redis/frameworks/framework';

const envelope = (event: unknown, hostname = 'w1@host') =>
  JSON.stringify({
    body: Buffer.from(JSON.stringify(event)).toString('base64'),
    'content-type': 'application/json',
    headers: { hostname },
  });

test('a Celery event envelope decodes to its event; buffered events (a list) too', () => {
  assert.deepEqual(decodeCeleryEvents(envelope({ type: 'worker-heartbeat', hostname: 'w1@host', freq: 2 })).events, [
    { type: 'worker-heartbeat', hostname: 'w1@host', freq: 2 },
  ]);
  assert.equal(decodeCeleryEvents(envelope([{ type: 'task-started' }, { type: 'task-succeeded' }])).events.length, 2);
});

test('a Celery event that does not decode is a problem in words with its sender, never a throw', () => {
  assert.match(decodeCeleryEvents('{not json').problem!, /envelope is not JSON/);
  const bad = decodeCeleryEvents(JSON.stringify({ body: '!!!notbase64', headers: { hostname: 'w9@h' } }));
  assert.match(bad.problem!, /body is not base64 JSON/);
  assert.equal(bad.hostname, 'w9@h');
  assert.match(decodeCeleryEvents(envelope({ no: 'type' })).problem!, /no type/);
  assert.match(
    decodeCeleryEvents(JSON.stringify({ body: 'x', 'content-type': 'application/x-python-serialize' })).problem!,
    /only JSON/,
  );
});

test('a pidbox "active" reply: each node\'s tasks by id, name and start; another ticket\'s reply or a bad one skipped', () => {
  const reply = (ticket: string, body: unknown) =>
    JSON.stringify({ body: Buffer.from(JSON.stringify(body)).toString('base64'), headers: { ticket, clock: 3 } });
  const out = new Map<string, ActiveTask[]>();
  addReply(
    reply('t1', { 'w1@h': [{ id: 'a', name: 'jobs.long', time_start: 1700000000.5, args: [600] }, { no: 'id' }] }),
    't1',
    out,
  );
  addReply(reply('t1', { 'w2@h': [] }), 't1', out);
  addReply(reply('t0', { 'w3@h': [{ id: 'b' }] }), 't1', out);
  addReply('{not json', 't1', out);
  addReply(JSON.stringify({ body: '!!!', headers: { ticket: 't1' } }), 't1', out);
  assert.deepEqual(Object.fromEntries(out), {
    'w1@h': [{ id: 'a', name: 'jobs.long', startedAt: 1700000000500 }],
    'w2@h': [],
  });
});

test('CLIENT LIST: named clients with their address; unnamed ones left out', () => {
  const text =
    'id=3 addr=127.0.0.1:5000 laddr=127.0.0.1:6379 fd=8 name=rq-a age=1 cmd=subscribe\nid=4 addr=[::1]:5001 fd=9 name= cmd=ping\nid=5 addr=10.0.0.2:41 name=bull:ZW1haWxz:w:mailer cmd=bzpopmin\n';
  assert.deepEqual(parseClientList(text), [
    { name: 'rq-a', addr: '127.0.0.1:5000' },
    { name: 'bull:ZW1haWxz:w:mailer', addr: '10.0.0.2:41' },
  ]);
});

const NOW = Date.parse('2026-12-04T12:00:00Z');
const w = (extra: Partial<WorkerSnapshot>): WorkerSnapshot => ({
  id: 'x',
  name: 'x',
  lastHeartbeat: NOW - 41_000,
  problems: [],
  ...extra,
});
const IDLE_RQ = { unresponsiveAfterMs: 420_000, deadAfterMs: 480_000, rule: 'RQ: an idle worker beats every ~405 s' };

test("a framework's liveness per state: an idle RQ worker 41 s after its beat is idle, not dead; past its promise it is dead, saying the rule", () => {
  assert.equal(classify(w({ status: 'idle' }), DEFAULT_THRESHOLDS, NOW).health, 'dead'); // the orchestrator default would say so
  assert.equal(classify(w({ status: 'idle', liveness: IDLE_RQ }), DEFAULT_THRESHOLDS, NOW).health, 'healthy');
  const late = classify(
    w({ status: 'idle', liveness: IDLE_RQ, lastHeartbeat: NOW - 500_000 }),
    DEFAULT_THRESHOLDS,
    NOW,
  );
  assert.equal(late.health, 'dead');
  assert.match(late.reason, /every ~405 s/);
});

test('gone (connection closed, record expired while listed) is dead with its reason; quiet is stopping; a clean stop stays stopped', () => {
  const gone = classify(w({ lastHeartbeat: NOW - 1000, gone: 'Its Redis connection closed' }), DEFAULT_THRESHOLDS, NOW);
  assert.deepEqual(gone, { health: 'dead', reason: 'Its Redis connection closed' });
  assert.equal(classify(w({ status: 'quiet', lastHeartbeat: NOW - 1000 }), DEFAULT_THRESHOLDS, NOW).health, 'stopping');
  assert.equal(classify(w({ status: 'quiet', lastHeartbeat: NOW - 60_000 }), DEFAULT_THRESHOLDS, NOW).health, 'dead');
  assert.equal(classify(w({ status: 'stopped', gone: 'No longer listed' }), DEFAULT_THRESHOLDS, NOW).health, 'stopped');
});

test('presets rq, sidekiq, celery, bullmq: accepted for redis connections and by the CLI; anything else named with the choices', () => {
  for (const preset of ['rq', 'sidekiq', 'celery', 'bullmq']) {
    assert.ok(validateConnection({ name: 'j', type: 'redis', url: 'redis://h:6379', preset }, 0).config, preset);
    assert.equal(
      (parseCliArgs(['status', '--redis', 'redis://h:6379', '--preset', preset]) as StatusArgs).preset,
      preset,
    );
  }
  assert.match(
    validateConnection({ name: 'j', type: 'redis', url: 'redis://h', preset: 'resque' }, 0).error!,
    /use "orchestrator", "rq", "sidekiq", "celery", "bullmq"/,
  );
  assert.match(
    (parseCliArgs(['status', '--redis', 'redis://h', '--preset', 'resque']) as { message: string }).message,
    /one of orchestrator, rq/,
  );
  assert.match(
    (parseCliArgs(['status', '--folder', '.', '--preset', 'rq']) as { message: string }).message,
    /--redis only/,
  );
});

test('gentle controls by framework: Quiet for a running Sidekiq worker, Stop Job for RQ and Celery with a job; BullMQ none, pointing to command mode', async () => {
  const { gentleControlTokens, gentleRefusal } = await import('../../src/control/frameworkControls');
  const job = { id: 'j1', title: 'jobs.long' };
  assert.equal(gentleControlTokens({ framework: 'sidekiq', status: 'idle' }), 'quietable;');
  assert.equal(gentleControlTokens({ framework: 'sidekiq', status: 'quiet' }), '', 'already quiet');
  assert.equal(gentleControlTokens({ framework: 'rq', status: 'busy', task: job }), 'job-stoppable;');
  assert.equal(gentleControlTokens({ framework: 'rq', status: 'idle' }), '', 'no job to stop');
  assert.equal(gentleControlTokens({ framework: 'celery', status: 'busy', task: job }), 'job-stoppable;');
  assert.equal(gentleControlTokens({ framework: 'celery', status: 'busy', task: job, gone: 'killed' }), '');
  assert.equal(gentleControlTokens({ framework: 'bullmq', status: 'busy', task: job }), '');
  assert.equal(gentleControlTokens({ status: 'busy', task: job }), '', 'not a framework worker');
  assert.match(gentleRefusal('quiet', { framework: 'bullmq' })!, /BullMQ has no per-worker control.*"command"/);
  assert.match(gentleRefusal('quiet', { framework: 'rq' }, '"a"')!, /only Sidekiq workers can be quieted \("a" is RQ/);
  assert.match(gentleRefusal('stop-job', { framework: 'rq', status: 'idle' }, '"a"')!, /"a" is not running a job/);
});

test('a failed-job entry that does not decode is a log line saying so, never a throw; one that does names the error', async () => {
  const { failureLine } = await import('../../src/sources/redis/frameworks/sidekiqActivity');
  const { lastLine } = await import('../../src/sources/redis/frameworks/rqActivity');
  assert.match(failureLine('dead', '{nope').entry.message, /^Sidekiq dead: an entry does not decode as JSON/);
  assert.match(failureLine('retry', '[1,2]').entry.message, /^Sidekiq retry: an entry is not a JSON object/);
  const ok = failureLine(
    'retry',
    JSON.stringify({
      class: 'HardJob',
      queue: 'q',
      jid: 'abc',
      error_class: 'KeyError',
      error_message: 'x',
      failed_at: 1,
      retry_count: 2,
      error_backtrace: ['a.rb:1'],
    }),
  );
  assert.equal(ok.entry.message, 'Sidekiq q: HardJob (jid abc) failed: KeyError: x — retry 3 scheduled\na.rb:1');
  assert.equal(ok.ts, 1000);
  assert.equal(lastLine('Traceback (most recent call last):\n  File "x"\nValueError: bad\n\n'), 'ValueError: bad');
});

test('a Celery worker running its first task has completed none: the heartbeat counts accepted tasks', () => {
  const node = (processed: number | undefined, active: number | undefined) =>
    snapshotOf({
      name: 'w1@host',
      freqMs: 2000,
      status: 'busy',
      processed,
      active,
      failed: 0,
      tasks: new Map(),
      problems: [],
    });
  assert.equal(node(1, 1).completed, 0);
  assert.equal(node(5, 2).completed, 3);
  assert.equal(node(3, undefined).completed, 3);
  assert.equal(node(undefined, 1).completed, undefined, 'an optional count stays absent');
});
