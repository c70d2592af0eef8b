import type { Health, HealthThresholds, Liveness, WorkerSnapshot } from './model';
import { formatDuration } from './format';

const CRASHED = new Set(['crashed', 'error', 'failed', 'failure', 'errored']);
const STOPPED = new Set(['stopped', 'exited', 'offline', 'terminated', 'shutdown']);
/** How far ahead of this machine's clock a heartbeat may be before it is not believed. */
const FUTURE_SKEW_MS = 60_000;
/** Told to finish what it has and take no more (Sidekiq quiet): a state of its own, not trouble. */
const STOPPING = new Set(['quiet', 'stopping', 'draining']);
const RECOVERING = new Set(['restarting', 'recovering', 'starting', 'launching', 'initializing']);
const WORKING = new Set(['working', 'busy', 'processing', 'running_task', 'active']);

/** How many of its own usual intervals a worker may miss before it is called late (adaptive mode). */
export const ADAPTIVE_FACTOR = 3;

export interface Classification {
  health: Health;
  reason: string;
}

/**
 * Derives a worker's health from its snapshot, the thresholds and the clock.
 * Pure: same inputs, same answer, so views can re-run it every second to keep
 * ages true without touching the store.
 *
 * @param cadenceMs the worker's learned heartbeat interval, if known (adaptive liveness).
 */
export function classify(w: WorkerSnapshot, t: HealthThresholds, now: number, cadenceMs?: number): Classification {
  if (w.missing)
    return {
      health: 'missing',
      reason: 'Expected by this connection (expectedWorkers) but the store has no record of it',
    };
  if (w.problems.length > 0) {
    return { health: 'unknown', reason: `Record could not be read: ${w.problems.join('; ')}` };
  }
  const status = w.status ?? '';
  // A status the worker chose to report about itself wins over heartbeat timing:
  // a crashed or stopped worker is not expected to beat.
  if (CRASHED.has(status)) return { health: 'crashed', reason: `Worker reported status "${status}"` };
  if (STOPPED.has(status)) return { health: 'stopped', reason: `Worker reported status "${status}"` };
  if (w.gone) return { health: 'dead', reason: w.gone };
  if (w.lastHeartbeat === undefined) {
    return { health: 'unknown', reason: 'No heartbeat has ever been seen for this worker' };
  }

  const age = now - w.lastHeartbeat;
  // A heartbeat from the future would stay "fresh" for as long as it is ahead, even after
  // the worker dies: say so instead. Small skew between machines is normal and allowed.
  if (-age > FUTURE_SKEW_MS) {
    return {
      health: 'unknown',
      reason: `Heartbeat is ${formatDuration(-age)} in the future: the worker's clock is off, or it writes local time without a time zone`,
    };
  }
  const { unresponsiveMs, deadMs, learned } = lateness(w.liveness ? fromLiveness(t, w.liveness) : t, cadenceMs);
  const learnedNote = learned
    ? ` (it usually beats every ${formatDuration(cadenceMs!)})`
    : w.liveness
      ? ` (${w.liveness.rule})`
      : '';
  if (age >= deadMs) {
    return {
      health: 'dead',
      reason: `No heartbeat for ${formatDuration(age)}; dead after ${formatDuration(deadMs)}${learnedNote}`,
    };
  }
  if (age >= unresponsiveMs) {
    const during = w.task ? ' while running a task' : '';
    return {
      health: 'unresponsive',
      reason: `No heartbeat for ${formatDuration(age)}${during}; unresponsive after ${formatDuration(unresponsiveMs)}${learnedNote}`,
    };
  }
  if (STOPPING.has(status))
    return { health: 'stopping', reason: `Worker reported status "${status}": finishing its jobs, taking no new ones` };
  if (RECOVERING.has(status)) return { health: 'recovering', reason: `Worker reported status "${status}"` };

  if (w.task) {
    const slowMs = t.slowTaskAfterMinutes * 60_000;
    if (w.task.startedAt !== undefined && now - w.task.startedAt >= slowMs) {
      return {
        health: 'slow',
        reason: `Current task running for ${formatDuration(now - w.task.startedAt)} (slow after ${formatDuration(slowMs)})`,
      };
    }
    return { health: 'working', reason: 'Running a task, heartbeat fresh' };
  }
  if (WORKING.has(status)) return { health: 'working', reason: `Worker reported status "${status}"` };
  return { health: 'healthy', reason: 'Idle, heartbeat fresh' };
}

/**
 * The effective late thresholds. With adaptive liveness a worker that beats every
 * 30 s is not called unresponsive 15 s after each beat: the bar is
 * max(configured, ADAPTIVE_FACTOR × its usual interval), scaled alike for dead.
 */
export function lateness(
  t: HealthThresholds,
  cadenceMs?: number,
): { unresponsiveMs: number; deadMs: number; learned: boolean } {
  const unresponsiveMs = t.unresponsiveAfterSeconds * 1000;
  const deadMs = Math.max(t.deadAfterSeconds * 1000, unresponsiveMs);
  if (!t.adaptive || !cadenceMs || cadenceMs <= 0) return { unresponsiveMs, deadMs, learned: false };
  const adaptiveUnresponsive = ADAPTIVE_FACTOR * cadenceMs;
  if (adaptiveUnresponsive <= unresponsiveMs) return { unresponsiveMs, deadMs, learned: false };
  // Keep the configured ratio between "unresponsive" and "dead".
  const ratio = deadMs / unresponsiveMs;
  return {
    unresponsiveMs: adaptiveUnresponsive,
    deadMs: Math.max(deadMs, adaptiveUnresponsive * ratio),
    learned: true,
  };
}

/** The thresholds a framework's own liveness promise stands for (the slow-task limit stays the user's). */
function fromLiveness(t: HealthThresholds, l: Liveness): HealthThresholds {
  return { ...t, unresponsiveAfterSeconds: l.unresponsiveAfterMs / 1000, deadAfterSeconds: l.deadAfterMs / 1000 };
}

/**
 * Until when (on the same clock as `classify`'s `now`) the health and reason just worked out
 * stay what they are if nothing is written: the session's clock skips the worker until then.
 * A fresh worker changes only when its heartbeat goes late or its task goes slow; a crashed,
 * stopped or missing one never by time alone; dead, unresponsive and slow ones say their age
 * in their reason, so they are judged again every tick (-Infinity).
 */
export function steadyUntil(w: WorkerSnapshot, health: Health, t: HealthThresholds, cadenceMs?: number): number {
  switch (health) {
    case 'crashed':
    case 'stopped':
    case 'missing':
      return Infinity;
    case 'unknown':
      // No heartbeat, or a record that could not be read: only a write changes that.
      return w.problems.length || w.lastHeartbeat === undefined ? Infinity : -Infinity;
    case 'dead':
      return w.gone ? Infinity : -Infinity;
    case 'healthy':
    case 'working':
    case 'recovering':
    case 'stopping': {
      if (w.lastHeartbeat === undefined) return -Infinity;
      const { unresponsiveMs } = lateness(w.liveness ? fromLiveness(t, w.liveness) : t, cadenceMs);
      let until = w.lastHeartbeat + unresponsiveMs;
      if (health === 'working' && w.task?.startedAt !== undefined)
        until = Math.min(until, w.task.startedAt + t.slowTaskAfterMinutes * 60_000);
      return until;
    }
    default:
      return -Infinity;
  }
}
