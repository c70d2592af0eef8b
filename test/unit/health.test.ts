import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADAPTIVE_FACTOR, classify, lateness } from '../../src/core/health';
import { DEFAULT_THRESHOLDS, type HealthThresholds, type WorkerSnapshot } from '../../src/core/model';

const NOW = Date.parse('2024-06-01T12:00:00Z');
const T: HealthThresholds = {
  unresponsiveAfterSeconds: 15,
  deadAfterSeconds: 30,
  slowTaskAfterMinutes: 15,
  adaptive: true,
};

function w(extra: Partial<WorkerSnapshot> = {}): WorkerSnapshot {
  return { id: 'w1', name: 'w1', problems: [], lastHeartbeat: NOW - 1000, ...extra };
}
const health = (s: WorkerSnapshot, t = T, now = NOW, cadence?: number) => classify(s, t, now, cadence).health;

test('healthy: idle with a fresh heartbeat', () => {
  const c = classify(w({ status: 'idle' }), T, NOW);
  assert.equal(c.health, 'healthy');
  assert.match(c.reason, /Idle/);
  assert.equal(health(w()), 'healthy', 'no status at all is idle');
});

test('working: a current task, or a busy status without task details', () => {
  assert.equal(health(w({ status: 'working', task: { id: 't1', startedAt: NOW - 60_000 } })), 'working');
  assert.equal(
    health(w({ status: 'idle', task: { title: 'x' } })),
    'working',
    'a task without a start time is still work',
  );
  for (const status of ['working', 'busy', 'processing', 'active'])
    assert.equal(health(w({ status })), 'working', status);
});

test('slow: the current task is older than slowTaskAfterMinutes, boundary included', () => {
  const slowMs = 15 * 60_000;
  assert.equal(health(w({ task: { startedAt: NOW - slowMs + 1 } })), 'working', '1 ms before the threshold');
  const c = classify(w({ task: { startedAt: NOW - slowMs } }), T, NOW);
  assert.equal(c.health, 'slow', 'exactly at the threshold');
  assert.match(c.reason, /running for 15m 0s \(slow after 15m 0s\)/);
  assert.equal(health(w({ task: { startedAt: NOW - 3_600_000 } })), 'slow');
  assert.equal(
    health(w({ task: { startedAt: NOW - 60_000 } }), { ...T, slowTaskAfterMinutes: 0.5 }),
    'slow',
    'threshold is configurable',
  );
});

test('unresponsive: exactly at unresponsiveAfterSeconds, not a millisecond before', () => {
  assert.equal(health(w({ lastHeartbeat: NOW - 14_999 })), 'healthy');
  const c = classify(w({ lastHeartbeat: NOW - 15_000 }), T, NOW);
  assert.equal(c.health, 'unresponsive');
  assert.match(c.reason, /No heartbeat for 15s; unresponsive after 15s/);
  assert.equal(health(w({ lastHeartbeat: NOW - 29_999 })), 'unresponsive');
});

test('unresponsive while running a task says so (a paused heartbeat during a long task)', () => {
  const c = classify(w({ lastHeartbeat: NOW - 20_000, task: { title: 'Long job', startedAt: NOW - 120_000 } }), T, NOW);
  assert.equal(c.health, 'unresponsive');
  assert.match(c.reason, /while running a task/);
});

test('dead: exactly at deadAfterSeconds', () => {
  assert.equal(health(w({ lastHeartbeat: NOW - 30_000 })), 'dead');
  assert.equal(health(w({ lastHeartbeat: NOW - 3_600_000 })), 'dead');
  const c = classify(w({ lastHeartbeat: NOW - 45_000, status: 'working' }), T, NOW);
  assert.equal(c.health, 'dead', 'a stale heartbeat beats a busy status');
  assert.match(c.reason, /No heartbeat for 45s; dead after 30s/);
});

test('dead below unresponsive is clamped: dead never comes before unresponsive', () => {
  const t = { ...T, unresponsiveAfterSeconds: 20, deadAfterSeconds: 10 };
  assert.equal(health(w({ lastHeartbeat: NOW - 15_000 }), t), 'healthy');
  assert.equal(health(w({ lastHeartbeat: NOW - 20_000 }), t), 'dead');
});

test('recovering: restarting / recovering / starting, while the heartbeat is fresh', () => {
  for (const status of ['restarting', 'recovering', 'starting', 'initializing']) {
    const c = classify(w({ status }), T, NOW);
    assert.equal(c.health, 'recovering', status);
    assert.match(c.reason, new RegExp(status));
  }
  assert.equal(
    health(w({ status: 'restarting', lastHeartbeat: NOW - 40_000 })),
    'dead',
    'a restart that never came back is dead',
  );
});

test('crashed: crashed / error / failed, whatever the heartbeat', () => {
  for (const status of ['crashed', 'error', 'failed']) {
    assert.equal(health(w({ status })), 'crashed', status);
    assert.equal(health(w({ status, lastHeartbeat: NOW - 3_600_000 })), 'crashed', `${status}, old heartbeat`);
    assert.equal(health(w({ status, lastHeartbeat: undefined })), 'crashed', `${status}, no heartbeat`);
  }
});

test('stopped: stopped / exited / offline, whatever the heartbeat', () => {
  for (const status of ['stopped', 'exited', 'offline']) {
    assert.equal(health(w({ status })), 'stopped', status);
    assert.equal(health(w({ status, lastHeartbeat: NOW - 3_600_000 })), 'stopped');
  }
});

test('unknown: never a heartbeat, or a record that could not be read', () => {
  const never = classify(w({ lastHeartbeat: undefined, status: 'idle' }), T, NOW);
  assert.equal(never.health, 'unknown');
  assert.match(never.reason, /No heartbeat has ever been seen/);
  const bad = classify(w({ status: 'crashed', problems: ['status should be text but is number 3'] }), T, NOW);
  assert.equal(bad.health, 'unknown', 'a problem wins over everything: we never guess around bad data');
  assert.match(bad.reason, /could not be read: status should be text/);
});

test('a heartbeat from the future (clock skew) is fresh, not an error', () => {
  assert.equal(health(w({ lastHeartbeat: NOW + 5_000 })), 'healthy');
});

test('adaptive: a learned cadence raises the late bars to k x interval, keeping the unresponsive/dead ratio', () => {
  const cadence = 30_000;
  assert.deepEqual(lateness(T, cadence), {
    unresponsiveMs: ADAPTIVE_FACTOR * cadence,
    deadMs: 2 * ADAPTIVE_FACTOR * cadence,
    learned: true,
  });
  assert.equal(health(w({ lastHeartbeat: NOW - 29_000 }), T, NOW, cadence), 'healthy', 'between two 30 s beats');
  assert.equal(health(w({ lastHeartbeat: NOW - 89_999 }), T, NOW, cadence), 'healthy');
  const late = classify(w({ lastHeartbeat: NOW - 90_000 }), T, NOW, cadence);
  assert.equal(late.health, 'unresponsive');
  assert.match(late.reason, /usually beats every 30s/);
  assert.equal(health(w({ lastHeartbeat: NOW - 180_000 }), T, NOW, cadence), 'dead');
});

test('adaptive: a fast cadence never lowers the configured thresholds', () => {
  assert.deepEqual(lateness(T, 1000), { unresponsiveMs: 15_000, deadMs: 30_000, learned: false });
  assert.equal(health(w({ lastHeartbeat: NOW - 10_000 }), T, NOW, 1000), 'healthy');
});

test('adaptive off: the cadence is ignored', () => {
  const t = { ...T, adaptive: false };
  assert.deepEqual(lateness(t, 30_000), { unresponsiveMs: 15_000, deadMs: 30_000, learned: false });
  assert.equal(health(w({ lastHeartbeat: NOW - 29_000 }), t, NOW, 30_000), 'unresponsive');
});

test('defaults are the documented ones', () => {
  assert.deepEqual(DEFAULT_THRESHOLDS, {
    unresponsiveAfterSeconds: 15,
    deadAfterSeconds: 30,
    slowTaskAfterMinutes: 15,
    adaptive: true,
  });
});

test('a heartbeat from the future is not believed: unknown, with the likely cause', () => {
  assert.equal(
    health(w({ lastHeartbeat: NOW + 5_000 })),
    'healthy',
    'a few seconds of skew between machines is normal',
  );
  // A worker east of UTC writing local time without a zone: two hours ahead, forever "fresh".
  const c = classify(w({ lastHeartbeat: NOW + 2 * 3_600_000 }), T, NOW);
  assert.equal(c.health, 'unknown');
  assert.match(
    c.reason,
    /Heartbeat is 2h 0m in the future: the worker's clock is off, or it writes local time without a time zone/,
  );
});
