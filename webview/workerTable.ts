import { HEALTH_NAMES, type HealthName, type WorkerRow, type WorkersPayload } from '../src/shared/protocol';
import { count, duration } from './format';

/** Worst first, as the tree orders its groups. */
const SEVERITY: readonly HealthName[] = HEALTH_NAMES;
/** DOM rows at most; the count line says how many more a filter would reveal. */
const MAX_DOM_ROWS = 500;
/** Ages move this long after the last render: an update from the host renders them too. */
const AGE_TICK_MS = 1000;

export type SortKey = 'name' | 'health' | 'task' | 'elapsed' | 'completed' | 'errors' | 'rate' | 'heartbeat';
export interface TableSort {
  key: SortKey;
  desc: boolean;
}

/**
 * The worker table: sortable by any column (task elapsed, longest first, finds stuck
 * work), filterable by name, health or task. Ages are recomputed on each tick from
 * the host's clock, so they move between updates. Store values go in as text only.
 */
export class WorkerTable {
  private payload: WorkersPayload = { now: Date.now(), rows: [], total: 0 };
  /** Host clock minus ours, so ages match the host's view of time. */
  private skew = 0;
  private filter = '';
  private selected: string | null = null;
  private readonly body: HTMLTableSectionElement;
  private readonly countEl: HTMLElement;
  private ageTimer?: ReturnType<typeof setTimeout>;

  constructor(
    private sort: TableSort,
    private readonly hooks: { select(id: string): void; sorted(sort: TableSort): void },
  ) {
    this.body = document.querySelector('#worker-table tbody')!;
    this.countEl = document.getElementById('table-count')!;
    for (const th of Array.from(document.querySelectorAll<HTMLElement>('#worker-table th[data-key]'))) {
      const activate = () => this.setSort(th.dataset.key as SortKey);
      th.addEventListener('click', activate);
      th.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          activate();
        }
      });
    }
    this.body.addEventListener('click', (e) => {
      const tr = (e.target as Element).closest('tr');
      if (tr?.dataset.id) this.hooks.select(tr.dataset.id);
    });
  }

  update(p: WorkersPayload): void {
    this.payload = p;
    this.skew = p.now - Date.now();
    this.render();
  }

  setFilter(text: string): void {
    this.filter = text.trim().toLowerCase();
    this.render();
  }

  setSelected(id: string | null): void {
    this.selected = id;
    this.render();
  }

  private setSort(key: SortKey): void {
    // Numbers read best largest first (longest task, most errors); text A→Z.
    this.sort =
      this.sort.key === key ? { key, desc: !this.sort.desc } : { key, desc: !['name', 'health', 'task'].includes(key) };
    this.hooks.sorted(this.sort);
    this.render();
  }

  render(): void {
    // One timer from the last render, not a fixed tick beside the host's updates: a busy
    // fleet's table renders once per update, not once more a second for the ages.
    clearTimeout(this.ageTimer);
    this.ageTimer = setTimeout(() => this.render(), AGE_TICK_MS);
    const now = Date.now() + this.skew;
    const f = this.filter;
    const rows = this.payload.rows.filter(
      (r) => !f || r.name.toLowerCase().includes(f) || r.health.includes(f) || (r.task ?? '').toLowerCase().includes(f),
    );
    const val = (r: WorkerRow): number | string | undefined => {
      switch (this.sort.key) {
        case 'name':
          return r.name.toLowerCase();
        case 'health':
          return SEVERITY.indexOf(r.health);
        case 'task':
          return r.task?.toLowerCase();
        case 'elapsed':
          return r.taskStartedAt === undefined ? undefined : now - r.taskStartedAt;
        case 'completed':
          return r.completed;
        case 'errors':
          return r.errors;
        case 'rate':
          return errorRate(r);
        case 'heartbeat':
          return r.lastHeartbeat === undefined ? undefined : now - r.lastHeartbeat;
      }
    };
    const dir = this.sort.desc ? -1 : 1;
    rows.sort((a, b) => {
      const va = val(a);
      const vb = val(b);
      if (va === undefined || vb === undefined)
        return va === vb ? a.name.localeCompare(b.name) : va === undefined ? 1 : -1; // blanks last either way
      return (va < vb ? -1 : va > vb ? 1 : 0) * dir || a.name.localeCompare(b.name);
    });
    const shown = rows.slice(0, MAX_DOM_ROWS);
    this.body.replaceChildren(...shown.map((r) => this.row(r, now)));
    const capped =
      this.payload.total > this.payload.rows.length
        ? ` (the ${count(this.payload.rows.length)} needing attention most)`
        : '';
    const more = rows.length > shown.length ? ` · first ${count(shown.length)} shown, filter to narrow` : '';
    this.countEl.textContent = `${count(rows.length)} of ${count(this.payload.total)} workers${capped}${more}`;
    for (const th of Array.from(document.querySelectorAll<HTMLElement>('#worker-table th[data-key]'))) {
      th.setAttribute(
        'aria-sort',
        th.dataset.key === this.sort.key ? (this.sort.desc ? 'descending' : 'ascending') : 'none',
      );
    }
  }

  private row(r: WorkerRow, now: number): HTMLTableRowElement {
    const tr = document.createElement('tr');
    tr.dataset.id = r.id;
    if (r.id === this.selected) tr.className = 'selected';
    if (r.stale) tr.classList.add('stale');
    const health = cell('');
    const dot = document.createElement('span');
    dot.className = `dot health-${r.health}`;
    health.append(dot, document.createTextNode(r.health));
    health.title = r.reason;
    const rate = errorRate(r);
    tr.append(
      cell(r.name, '', r.id !== r.name ? r.id : undefined),
      health,
      cell(r.task ?? '—', r.task ? '' : 'muted'),
      cell(r.taskStartedAt === undefined ? '—' : duration(now - r.taskStartedAt), 'num'),
      cell(r.completed === undefined ? '—' : count(r.completed), 'num'),
      cell(r.errors === undefined ? '—' : count(r.errors), 'num'),
      cell(rate === undefined ? '—' : `${rate.toFixed(1)}%`, `num${rate !== undefined && rate >= 10 ? ' bad' : ''}`),
      cell(r.lastHeartbeat === undefined ? 'never' : `${duration(now - r.lastHeartbeat)} ago`, 'num'),
    );
    return tr;
  }
}

function errorRate(r: WorkerRow): number | undefined {
  const done = (r.completed ?? 0) + (r.errors ?? 0);
  return done ? (100 * (r.errors ?? 0)) / done : undefined;
}

function cell(text: string, cls = '', title?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  if (title) td.title = title;
  return td;
}
