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
    parts.push(s.task.title ?? s.task.id ?? 'task');
    if (s.task.startedAt !== undefined) parts.push(formatDuration(now - s.task.startedAt));
  } else if (w.health === 'dead' || w.health === 'unresponsive' || w.health === 'stopped' || w.health === 'crashed') {
    parts.push(`last seen ${formatAge(s.lastHeartbeat, now)}`);
  } else if (w.health === 'unknown') {
    parts.push(s.problems.length ? 'unreadable record' : 'no heartbeat yet');
  } else {
    parts.push(`seen ${formatAge(s.lastHeartbeat, now)}`);
  }
  if (w.stale) parts.push('(stale)');
  return parts.join(' · ');
}

/** Every known field, as Markdown lines for the tooltip. Values are escaped by the caller's renderer. */
export function detailLines(w: WorkerView, now: number): [string, string][] {
  const s = w.snapshot;
  const rows: [string, string][] = [
    ['Health', `${HEALTH_TITLE[w.health]} — ${w.reason}`],
    ['Status', s.status ?? '—'],
    ['Last heartbeat', s.lastHeartbeat === undefined ? 'never' : `${formatAge(s.lastHeartbeat, now)} (${new Date(s.lastHeartbeat).toISOString()})`],
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
  if (w.pending) rows.push(['Request', w.pending]);
  for (const p of s.problems) rows.push(['Problem', p]);
  if (w.stale) rows.push(['Data', 'Stale: the store is unreachable; this is the last known state']);
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
