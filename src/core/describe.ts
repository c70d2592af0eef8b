import { displayText, isoOf, MAX_TEXT, SHORT_TEXT } from './checked';
import { formatAge, formatBytes, formatDuration } from './format';
import type { ConnectionState } from './fleet';
import type { Health, WorkerView } from './model';

/** The short word a health shows as in the tree description. */
export const HEALTH_WORD: Record<Health, string> = {
  working: 'working',
  healthy: 'idle',
  slow: 'slow',
  unresponsive: 'unresponsive',
  dead: 'dead',
  missing: 'missing',
  recovering: 'recovering',
  stopping: 'stopping',
  crashed: 'crashed',
  stopped: 'stopped',
  unknown: 'unknown',
};

export const HEALTH_TITLE: Record<Health, string> = {
  working: 'Working',
  healthy: 'Healthy',
  slow: 'Slow',
  unresponsive: 'Unresponsive',
  dead: 'Dead',
  missing: 'Missing',
  recovering: 'Recovering',
  stopping: 'Stopping',
  crashed: 'Crashed',
  stopped: 'Stopped',
  unknown: 'Unknown',
};

/**
 * One line under the worker's name: `working · Fix login bug · 3m 12s`,
 * `idle · seen 4s ago`, `dead · last seen 2m ago`.
 */
export function describeWorker(w: WorkerView, now: number): string {
  const s = w.snapshot;
  const parts: string[] = [HEALTH_WORD[w.health]];
  if (w.pending) parts.push(w.pending);
  if ((w.health === 'working' || w.health === 'slow') && s.task) {
    parts.push(displayText(s.task.title ?? s.task.id ?? 'task', SHORT_TEXT));
    if (s.task.startedAt !== undefined) parts.push(formatDuration(now - s.task.startedAt));
  } else if (w.health === 'dead' || w.health === 'unresponsive' || w.health === 'stopped' || w.health === 'crashed') {
    parts.push(`last seen ${formatAge(s.lastHeartbeat, now)}`);
  } else if (w.health === 'missing') {
    parts.push('expected, no record');
  } else if (w.health === 'unknown') {
    parts.push(s.problems.length ? 'unreadable record' : 'no heartbeat yet');
  } else {
    parts.push(`seen ${formatAge(s.lastHeartbeat, now)}`);
  }
  if (w.stale)
    parts.push(w.blindSince !== undefined ? `store unreachable ${formatDuration(now - w.blindSince)}` : '(stale)');
  return parts.join(' · ');
}

/**
 * Every known field, as lines for the tooltip: whole (up to the stored cap), with control
 * and bidi characters written out visibly. Markdown is escaped by the caller's renderer.
 */
export function detailLines(w: WorkerView, now: number): [string, string][] {
  return rawDetailLines(w, now).map(([k, v]) => [k, displayText(v, MAX_TEXT + 40)]);
}

function rawDetailLines(w: WorkerView, now: number): [string, string][] {
  const s = w.snapshot;
  const rows: [string, string][] = [
    ['Health', `${HEALTH_TITLE[w.health]} — ${w.reason}`],
    ['Status', s.status ?? '—'],
    [
      'Last heartbeat',
      s.lastHeartbeat === undefined ? 'never' : `${formatAge(s.lastHeartbeat, now)} (${isoOf(s.lastHeartbeat)})`,
    ],
  ];
  if (s.task) {
    const t = s.task;
    rows.push(['Task', [t.title, t.id && `#${t.id}`].filter(Boolean).join(' ') || '—']);
    if (t.type) rows.push(['Task type', t.type]);
    if (t.repository) rows.push(['Repository', t.repository]);
    if (t.startedAt !== undefined) rows.push(['Task elapsed', formatDuration(now - t.startedAt)]);
  }
  if (s.completed !== undefined) rows.push(['Completed', String(s.completed)]);
  if (s.errors !== undefined) rows.push(['Errors', String(s.errors)]);
  if (s.specialization) rows.push(['Specialization', s.specialization]);
  if (s.pid !== undefined) rows.push(['PID', String(s.pid)]);
  if (s.host) rows.push(['Host', s.host]);
  if (s.uptimeSeconds !== undefined) rows.push(['Uptime', formatDuration(s.uptimeSeconds * 1000)]);
  if (s.memoryBytes !== undefined) rows.push(['Memory', formatBytes(s.memoryBytes)]);
  if (s.version) rows.push(['Version', s.version]);
  if (w.pending) rows.push(['Request', w.pending]);
  for (const p of s.problems) rows.push(['Problem', p]);
  if (w.stale) {
    rows.push([
      'Data',
      w.blindSince !== undefined
        ? `Stale: the store has been unreachable for ${formatDuration(now - w.blindSince)}; this is the last known state, and health is judged as of that last successful read`
        : 'Stale: the store is unreachable; this is the last known state',
    ]);
  }
  return rows;
}

/**
 * How fresh the view is, in one word for its title ("Workers · live"): `live` while a
 * push path delivers changes, `polling` on a timer, `stale` when the store is away.
 * The title, because a view alone in its container never shows its description.
 */
export function freshness(conn: ConnectionState): 'live' | 'polling' | 'stale' | 'connecting' {
  if (conn.state === 'error') return 'stale';
  if (conn.state === 'connecting') return 'connecting';
  return /^poll/.test(conn.liveMode ?? 'poll') ? 'polling' : 'live';
}

/** Children of a worker's row in the tree: [key, label, description]. */
export function workerChildRows(w: WorkerView, now: number): [string, string, string][] {
  const s = w.snapshot;
  const rows: [string, string, string][] = [];
  if (s.task) {
    const t = s.task;
    rows.push([
      'task',
      `Task: ${displayText(t.title ?? t.id ?? 'untitled')}`,
      displayText(
        [t.type, t.repository, t.startedAt !== undefined ? formatDuration(now - t.startedAt) : undefined]
          .filter(Boolean)
          .join(' · '),
      ),
    ]);
  } else {
    rows.push(['task', 'No current task', '']);
  }
  rows.push(['counters', `Completed ${s.completed ?? '—'} · Errors ${s.errors ?? '—'}`, '']);
  rows.push([
    'heartbeat',
    `Last heartbeat ${formatAge(s.lastHeartbeat, now)}`,
    s.status ? `status ${displayText(s.status)}` : '',
  ]);
  for (const [i, p] of s.problems.entries()) rows.push([`problem${i}`, `Problem: ${displayText(p, 200)}`, '']);
  return rows;
}
