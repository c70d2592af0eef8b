import { displayText } from '../../core/checked';
import { ALL_HEALTH, type WorkerView } from '../../core/model';
import type { WorkerRow, WorkersPayload } from '../../shared/protocol';

/** Rows sent per update: a 10,000-worker fleet would otherwise ship megabytes a second. */
export const MAX_ROWS = 2000;

/**
 * The worker table's rows. Past MAX_ROWS the ones that need a look are kept: worst
 * health first, then the longest-running task (stuck work), then by name.
 */
export function workerRows(views: readonly WorkerView[], now: number, max = MAX_ROWS): WorkersPayload {
  let list = views;
  if (list.length > max) {
    const rank = (v: WorkerView) => ALL_HEALTH.indexOf(v.health);
    list = [...views]
      .sort(
        (a, b) =>
          rank(a) - rank(b) ||
          (a.snapshot.task?.startedAt ?? now) - (b.snapshot.task?.startedAt ?? now) ||
          a.snapshot.name.localeCompare(b.snapshot.name),
      )
      .slice(0, max);
  }
  return { now, total: views.length, rows: list.map(toRow) };
}

function toRow(v: WorkerView): WorkerRow {
  const s = v.snapshot;
  // The id stays as the store has it (it names the worker in requests); what is shown is escaped.
  const row: WorkerRow = {
    id: s.id,
    name: displayText(s.name, 200),
    health: v.health,
    reason: displayText(v.reason, 400),
    stale: v.stale,
  };
  const t = s.task;
  if (t) {
    const task = t.title ?? t.id ?? t.type ?? 'task';
    row.task = displayText(t.type && t.title ? `${t.title} (${t.type})` : task, 200);
    if (t.startedAt !== undefined) row.taskStartedAt = t.startedAt;
  }
  if (s.completed !== undefined) row.completed = s.completed;
  if (s.errors !== undefined) row.errors = s.errors;
  if (s.lastHeartbeat !== undefined) row.lastHeartbeat = s.lastHeartbeat;
  return row;
}
