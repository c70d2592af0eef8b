import './dashboard.css';
import {
  ALIVE,
  FAILING,
  WINDOWS,
  type ConnectionInfo,
  type HostMessage,
  type LevelName,
  type MetricsView,
  type Section,
  type WebviewState,
  type WindowKey,
  type WorkersPayload,
} from '../src/shared/protocol';
import { Charts } from './charts';
import { count, rate, seconds } from './format';
import { LogPanel } from './logPanel';
import { onThemeChange } from './theme';
import { vscode } from './vscodeApi';
import { WorkerTable, type TableSort } from './workerTable';
import { renderTimeline } from './timeline';

/**
 * Dashboard page entry. Draws what the host computed; keeps only small UI state
 * (window, filters, sort) with setState, because the page is thrown away whenever
 * the panel is hidden and rebuilt from the host's snapshot when shown.
 */
const DEFAULTS: WebviewState = {
  // Until the user picks one, the host shows the shortest window that holds the history.
  window: 'auto',
  worker: null,
  follow: true,
  logLevel: 'debug',
  logText: '',
  logWorker: '',
  tableFilter: '',
  tableSort: { key: 'health', desc: false },
};
const state: WebviewState = { ...DEFAULTS, ...(vscode.getState() ?? {}) };
const save = () => vscode.setState(state);

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const levelSelect = $<HTMLSelectElement>('log-level');
const workerInput = $<HTMLInputElement>('log-worker');
const textInput = $<HTMLInputElement>('log-text');
const tableFilter = $<HTMLInputElement>('table-filter');

const charts = new Charts();
const table = new WorkerTable(state.tableSort as TableSort, {
  select: (id) => setWorker(state.worker === id ? null : id),
  sorted: (sort) => {
    state.tableSort = sort;
    save();
  },
});
const logs = new LogPanel(10_000, {
  openLink: (l) =>
    vscode.postMessage({
      type: 'link/open',
      path: l.path,
      line: l.line,
      ...(l.column !== undefined ? { column: l.column } : {}),
    }),
  changed: () => {
    state.follow = logs.following;
    save();
  },
});
logs.setFollowing(state.follow);

// ---- controls -------------------------------------------------------------
levelSelect.value = state.logLevel;
workerInput.value = state.logWorker;
textInput.value = state.logText;
tableFilter.value = state.tableFilter;
const applyLogFilter = () => {
  state.logLevel = levelSelect.value as LevelName;
  state.logWorker = workerInput.value;
  state.logText = textInput.value;
  logs.setFilter({ level: state.logLevel, worker: state.logWorker, text: state.logText });
  save();
};
applyLogFilter();
levelSelect.addEventListener('change', applyLogFilter);
workerInput.addEventListener('input', applyLogFilter);
textInput.addEventListener('input', applyLogFilter);
tableFilter.addEventListener('input', () => {
  state.tableFilter = tableFilter.value;
  table.setFilter(state.tableFilter);
  save();
});
table.setFilter(state.tableFilter);

for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('[data-window]'))) {
  b.addEventListener('click', () => {
    state.window = b.dataset.window as WindowKey;
    save();
    renderWindowButtons();
    vscode.postMessage({ type: 'view/configure', window: state.window, worker: state.worker });
  });
}
$('export').addEventListener('click', () => vscode.postMessage({ type: 'metrics/export' }));
$('focus-clear').addEventListener('click', () => setWorker(null));
$('log-clear').addEventListener('click', () => {
  logs.clear();
  vscode.postMessage({ type: 'logs/clear' });
});

function renderWindowButtons(): void {
  const shown = state.window === 'auto' ? lastMetrics?.window : state.window;
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('[data-window]'))) {
    b.setAttribute('aria-pressed', String(b.dataset.window === shown));
    b.title = state.window === 'auto' && b.dataset.window === shown ? 'Chosen to fit the history so far' : '';
  }
}

/** Narrows the charts, the table selection and the logs to one worker (null: all). */
function setWorker(id: string | null, tellHost = true): void {
  state.worker = id;
  $('focus').hidden = id === null;
  $('focus-name').textContent = id ?? '';
  if (tellHost) {
    // A new focus narrows the logs too; on reload the saved log filter stands as it was.
    workerInput.value = id ?? '';
    applyLogFilter();
  }
  table.setSelected(id);
  save();
  if (tellHost) vscode.postMessage({ type: 'view/configure', window: state.window, worker: id });
}

// ---- rendering host data ----------------------------------------------------
let lastWorkers: WorkersPayload | undefined;

function renderConnection(c: ConnectionInfo): void {
  const el = $('connection');
  el.className = `conn conn-${c.state}`;
  el.textContent = c.state === 'connected' ? `Live · ${c.liveMode ?? 'connected'}` : (c.message ?? c.state);
  el.title = c.message ?? '';
  $('log-source').textContent = c.logSource ?? '';
}

function kpi(label: string, value: string, detail = '', tone = ''): HTMLElement {
  const box = document.createElement('div');
  box.className = `kpi${tone ? ` ${tone}` : ''}`;
  const v = document.createElement('div');
  v.className = 'kpi-value';
  v.textContent = value;
  const l = document.createElement('div');
  l.className = 'kpi-label';
  l.textContent = label;
  const d = document.createElement('div');
  d.className = 'kpi-detail';
  d.textContent = detail;
  box.append(v, l, d);
  return box;
}

let lastMetrics: MetricsView | undefined;
function renderKpis(): void {
  const m = lastMetrics;
  const w = lastWorkers;
  const alive = w ? w.rows.filter((r) => ALIVE.has(r.health)).length : 0;
  const down = w ? w.rows.filter((r) => FAILING.has(r.health)).length : 0;
  const boxes = [
    kpi(
      'workers alive',
      w ? `${count(alive)} / ${count(w.total)}` : '—',
      down ? `${down} dead or crashed` : 'none down',
      down ? 'bad' : '',
    ),
  ];
  if (m) {
    const label = WINDOWS[m.window].label;
    const errRate = m.totals.errorRatePct;
    boxes.push(
      kpi('tasks / min', rate(m.totals.perMinute), `${count(m.totals.completed)} in ${label}`),
      kpi(
        'error rate',
        errRate === null ? '—' : `${errRate.toFixed(1)}%`,
        `${count(m.totals.errors)} errors in ${label}`,
        errRate !== null && errRate >= 10 ? 'bad' : '',
      ),
      kpi('task duration p50', seconds(m.totals.p50s), `p95 ${seconds(m.totals.p95s)}`),
    );
    for (const q of m.queues.slice(0, 2))
      boxes.push(kpi(`queue ${q.name}`, q.latest === null ? '—' : count(q.latest), 'items'));
  }
  $('kpis').replaceChildren(...boxes);
}

function applyMetrics(m: MetricsView): void {
  lastMetrics = m;
  charts.update(m);
  renderKpis();
  renderWindowButtons();
  $('charts').dataset.summary = JSON.stringify(charts.summary());
}

function applyWorkers(w: WorkersPayload): void {
  lastWorkers = w;
  table.update(w);
  renderKpis();
}

function focusSection(section: Section | undefined): void {
  if (section) $(section).scrollIntoView({ block: 'start' });
}

let noticeTimer: ReturnType<typeof setTimeout> | undefined;
function notice(text: string): void {
  const el = $('notice');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => (el.hidden = true), 6000);
}

window.addEventListener('message', (e: MessageEvent<HostMessage>) => {
  const m = e.data;
  if (!m || typeof m !== 'object') return;
  switch (m.type) {
    case 'dashboard/snapshot':
      renderConnection(m.connection);
      logs.reset(m.logs, m.config.maxLines);
      applyMetrics(m.metrics);
      applyWorkers(m.workers);
      renderTimeline(m.timeline ?? []);
      if (m.focus) {
        if (m.focus.worker !== undefined) setWorker(m.focus.worker);
        focusSection(m.focus.section);
      }
      document.body.dataset.ready = 'true';
      break;
    case 'metrics/didChange':
      applyMetrics(m.metrics);
      break;
    case 'workers/didChange':
      applyWorkers(m);
      break;
    case 'logs/didAppend':
      logs.append(m.lines);
      break;
    case 'logs/didReset':
      logs.reset(m.lines, m.config.maxLines);
      break;
    case 'connection/didChange':
      renderConnection(m.connection);
      break;
    case 'timeline/didChange':
      renderTimeline(m.timeline);
      break;
    case 'dashboard/focus':
      if (m.worker !== undefined) setWorker(m.worker);
      focusSection(m.section);
      break;
    case 'dashboard/notice':
      notice(m.text);
      break;
  }
});

onThemeChange(() => {
  charts.retheme();
  $('charts').dataset.summary = JSON.stringify(charts.summary());
});

renderWindowButtons();
setWorker(state.worker, false);
vscode.postMessage({ type: 'webview/ready', window: state.window, worker: state.worker });
