import { displayText, isoOf } from '../core/checked';
import type { Transition } from '../core/transitions';
import { clockTime } from '../core/alertText';
import { HEALTH_WORD } from '../core/describe';
import type { ConnectionState } from '../core/fleet';
import { formatAge, formatDuration } from '../core/format';
import { ALIVE, ALL_HEALTH, FAILING, type Health, type WorkerView } from '../core/model';

/**
 * What the terminal status prints, as pure functions of the workers and the clock,
 * so tests check the exact text and the runner only does I/O.
 */

export interface RenderOptions {
  color: boolean;
  /** Terminal width; the task column shrinks to fit. Undefined: no limit beyond the column's own. */
  width?: number;
}

const RED = 31;
const GREEN = 32;
const YELLOW = 33;
const HEALTH_COLOR: Record<Health, number> = {
  dead: RED,
  crashed: RED,
  missing: RED,
  unresponsive: YELLOW,
  slow: YELLOW,
  recovering: YELLOW,
  stopping: YELLOW,
  working: GREEN,
  healthy: GREEN,
  stopped: 2,
  unknown: 2,
};

const paint = (on: boolean, code: number, s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

/** Problems first (dead, crashed, unresponsive, slow, …, the order the tree groups by), then by name. */
export function sortForStatus(workers: readonly WorkerView[]): WorkerView[] {
  const rank = (h: Health) => ALL_HEALTH.indexOf(h);
  return [...workers].sort((a, b) => rank(a.health) - rank(b.health) || a.snapshot.name.localeCompare(b.snapshot.name));
}

/** 0 when no worker is dead or crashed, 1 otherwise: what scripts and cron test. */
export function exitCodeFor(workers: readonly WorkerView[]): 0 | 1 {
  return workers.some((w) => FAILING.has(w.health)) ? 1 : 0;
}

/** `3/7 alive · 1 dead · 1 crashed · 2 unknown` (alive = healthy, working or slow). */
export function summaryLine(workers: readonly WorkerView[], color = false): string {
  const alive = workers.filter((w) => ALIVE.has(w.health)).length;
  const parts = [`${alive}/${workers.length} alive`];
  for (const h of ALL_HEALTH) {
    if (ALIVE.has(h)) continue;
    const n = workers.filter((w) => w.health === h).length;
    if (n) parts.push(paint(color, HEALTH_COLOR[h], `${n} ${HEALTH_WORD[h]}`));
  }
  return parts.join(' · ');
}

const TASK_MAX = 40;
/** The WORKER column's widest: sized by the longest name, a 1 MB name would print 1 MB per row. */
const NAME_MAX = 40;
/** One problem note under the table. */
const NOTE_MAX = 300;

/**
 * The table: WORKER, HEALTH, TASK, ELAPSED, LAST SEEN, DONE, ERRORS; a column no
 * worker has a value for (ELAPSED, DONE, ERRORS) is left out. Unreadable records get a line of explanation underneath:
 * a table cell is too small for "timestamp is not a timestamp: …".
 */
export function renderTable(workers: readonly WorkerView[], now: number, opts: RenderOptions): string {
  const sorted = sortForStatus(workers);
  if (sorted.length === 0) return 'No workers found.\n';
  const hasDone = sorted.some((w) => w.snapshot.completed !== undefined);
  const hasErrors = sorted.some((w) => w.snapshot.errors !== undefined);
  const cols: { title: string; right?: boolean; cell: (w: WorkerView) => string }[] = [
    { title: 'WORKER', cell: (w) => w.snapshot.name },
    { title: 'HEALTH', cell: (w) => HEALTH_WORD[w.health] },
    { title: 'TASK', cell: (w) => (w.snapshot.task ? (w.snapshot.task.title ?? w.snapshot.task.id ?? 'task') : '') },
    {
      title: 'ELAPSED',
      right: true,
      cell: (w) => (w.snapshot.task?.startedAt !== undefined ? formatDuration(now - w.snapshot.task.startedAt) : ''),
    },
    { title: 'LAST SEEN', right: true, cell: (w) => formatAge(w.snapshot.lastHeartbeat, now) },
  ];
  if (!sorted.some((w) => w.snapshot.task?.startedAt !== undefined)) cols.splice(3, 1);
  if (hasDone) cols.push({ title: 'DONE', right: true, cell: (w) => num(w.snapshot.completed) });
  if (hasErrors) cols.push({ title: 'ERRORS', right: true, cell: (w) => num(w.snapshot.errors) });

  // Escaped and cut before measuring: the widths are of what is printed.
  const cells = sorted.map((w) =>
    cols.map((c, i) => displayText(c.cell(w), i === 0 ? NAME_MAX : i === 2 ? TASK_MAX : NOTE_MAX)),
  );
  const widths = cols.map((c, i) => Math.max(c.title.length, ...cells.map((r) => r[i].length)));
  const taskCol = 2;
  let taskMax = TASK_MAX;
  if (opts.width) {
    const others = widths.reduce((a, b, i) => (i === taskCol ? a : a + b + 2), 0);
    taskMax = Math.max(12, Math.min(TASK_MAX, opts.width - others - 1));
  }
  widths[taskCol] = Math.max(cols[taskCol].title.length, Math.min(widths[taskCol], taskMax));

  const fmt = (row: string[], colorOf?: (i: number, s: string) => string) =>
    row
      .map((s, i) => {
        const t = i === taskCol ? truncate(s, widths[i]) : s;
        // Pad before painting: escape codes have no width.
        const padded = cols[i].right ? t.padStart(widths[i]) : t.padEnd(widths[i]);
        return colorOf ? colorOf(i, padded) : padded;
      })
      .join('  ')
      .trimEnd();
  const lines = [paint(opts.color, 1, fmt(cols.map((c) => c.title)))];
  sorted.forEach((w, r) =>
    lines.push(fmt(cells[r], (i, s) => (i === 1 ? paint(opts.color, HEALTH_COLOR[w.health], s) : s))),
  );
  const notes = sorted.filter((w) => w.health === 'unknown' && w.snapshot.problems.length);
  if (notes.length) {
    lines.push('');
    for (const w of notes)
      lines.push(`${displayText(w.snapshot.name, NAME_MAX)}: ${displayText(w.snapshot.problems.join('; '), NOTE_MAX)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The header of a frame: where the data comes from and whether it is current. */
export function headerLine(where: string, conn: ConnectionState, now: number, color: boolean, hasData = true): string {
  const time = new Date(now).toLocaleTimeString();
  if (conn.state === 'error') {
    return paint(
      color,
      RED,
      `${where} · ${conn.message ?? 'error'}${hasData ? ' · showing last known data' : ''} · ${time}`,
    );
  }
  if (conn.state === 'connecting') return `${where} · ${conn.message ?? 'connecting…'} · ${time}`;
  return `${where}${conn.liveMode ? ` · ${conn.liveMode}` : ''} · ${time}`;
}

/** Machine-readable status: ISO times plus ages in seconds, so a script needs no clock arithmetic. */
export function toJson(workers: readonly WorkerView[], now: number, where: string, conn: ConnectionState): object {
  const iso = (t: number | undefined) => isoOf(t) ?? null;
  const secs = (t: number | undefined) => (t === undefined ? null : Math.round((now - t) / 100) / 10);
  const sorted = sortForStatus(workers);
  const byHealth = Object.fromEntries(ALL_HEALTH.map((h) => [h, sorted.filter((w) => w.health === h).length]));
  return {
    source: where,
    time: iso(now),
    connection: conn,
    summary: { total: sorted.length, alive: sorted.filter((w) => ALIVE.has(w.health)).length, byHealth },
    exitCode: exitCodeFor(sorted),
    workers: sorted.map((w) => {
      const s = w.snapshot;
      return {
        id: s.id,
        name: s.name,
        health: w.health,
        reason: w.reason,
        stale: w.stale,
        status: s.status ?? null,
        lastHeartbeat: iso(s.lastHeartbeat),
        lastSeenSecondsAgo: secs(s.lastHeartbeat),
        task: s.task ? { ...s.task, startedAt: iso(s.task.startedAt), elapsedSeconds: secs(s.task.startedAt) } : null,
        completed: s.completed ?? null,
        errors: s.errors ?? null,
        specialization: s.specialization ?? null,
        pid: s.pid ?? null,
        host: s.host ?? null,
        problems: s.problems,
      };
    }),
  };
}

function num(n: number | undefined): string {
  return n === undefined ? '' : String(n);
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`;
}

/**
 * One transition as `status --watch` prints it: "14:02:11  gpu-1  idle → dead". Store text is never a control sequence.
 */
export function transitionLine(t: Transition, color = false): string {
  const safe = t.name.replace(/[\x00-\x1f\x7f]/g, '?');
  return `${clockTime(t.at)}  ${safe}  ${HEALTH_WORD[t.from]} → ${paint(color, HEALTH_COLOR[t.to], HEALTH_WORD[t.to])}`;
}
