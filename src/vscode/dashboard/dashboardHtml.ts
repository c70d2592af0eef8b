import { randomBytes } from 'node:crypto';

export interface DashboardHtmlOptions {
  /** `webview.cspSource`: the only origin styles, fonts and images may come from. */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  nonce: string;
}

/** A fresh nonce per page load: the only script allowed to run is the one carrying it. */
export function makeNonce(): string {
  return randomBytes(18).toString('base64');
}

/**
 * The dashboard page. Strict CSP: nothing by default, our bundle by nonce, styles and
 * fonts only from the extension's own files — no inline script or style, no eval,
 * no CDN. Static layout only; every value from a store is added later as text.
 * No `vscode` import: the browser test serves this very page.
 */
export function dashboardHtml(o: DashboardHtmlOptions): string {
  const src = attr(o.cspSource);
  const csp = [
    "default-src 'none'",
    `img-src ${src} data:`,
    `style-src ${src}`,
    `font-src ${src}`,
    `script-src 'nonce-${attr(o.nonce)}'`,
  ].join('; ');
  const windowButton = (key: string, label: string) =>
    `<button type="button" data-window="${key}" aria-pressed="false">${label}</button>`;
  const chart = (id: string, title: string, unit: string, hidden = false) =>
    `<figure class="chart" id="fig-${id}"${hidden ? ' hidden' : ''}><figcaption>${title} <small>${unit}</small></figcaption>` +
    `<div class="canvas-box"><canvas id="chart-${id}" role="img" aria-label="${title}"></canvas></div></figure>`;
  const th = (key: string, label: string, cls = '') =>
    `<th data-key="${key}" class="${cls}" tabindex="0" aria-sort="none">${label}</th>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(o.styleUri)}">
<title>Worker Lens</title>
</head>
<body>
<header class="bar">
  <h1>Worker Lens</h1>
  <span id="connection" class="conn"></span>
  <span class="spacer"></span>
  <span id="focus" class="chip" hidden><span id="focus-name"></span><button type="button" id="focus-clear" title="Show all workers" aria-label="Show all workers">×</button></span>
  <div class="segmented" role="group" aria-label="Chart window">${windowButton('5m', '5 min')}${windowButton('1h', '1 hour')}${windowButton('6h', '6 hours')}</div>
  <button type="button" id="export" class="secondary" title="Export the chart window as CSV or JSON">Export…</button>
</header>
<div id="notice" class="notice" role="status" hidden></div>
<section id="kpis" class="kpis" aria-label="Summary"></section>
<section id="charts" class="charts">
  ${chart('throughput', 'Throughput', 'tasks / min')}
  ${chart('errors', 'Errors', 'per min · error rate %')}
  ${chart('duration', 'Task duration', 'p50 · p95, seconds')}
  ${chart('health', 'Health over time', 'workers per state')}
  ${chart('queues', 'Queue depth', 'items', true)}
</section>
<section id="workers" class="panel">
  <div class="section-head">
    <h2>Workers</h2>
    <input id="table-filter" type="search" placeholder="Filter by name, health or task" aria-label="Filter workers">
    <span id="table-count" class="muted"></span>
  </div>
  <div class="table-wrap">
    <table id="worker-table">
      <thead><tr>${th('name', 'Name')}${th('health', 'Health')}${th('task', 'Current task')}${th('elapsed', 'Task elapsed', 'num')}${th('completed', 'Completed', 'num')}${th('errors', 'Errors', 'num')}${th('rate', 'Error rate', 'num')}${th('heartbeat', 'Last heartbeat', 'num')}</tr></thead>
      <tbody></tbody>
    </table>
  </div>
</section>
<section id="timeline" class="panel">
  <div class="section-head">
    <h2>Transitions</h2>
    <span id="timeline-count" class="muted"></span>
  </div>
  <ol id="timeline-rows" class="timeline" aria-label="Worker transitions, newest first"></ol>
</section>
<section id="logs" class="panel">
  <div class="section-head">
    <h2>Logs</h2>
    <button type="button" id="follow" aria-pressed="true">Pause</button>
    <select id="log-level" aria-label="Lowest level shown">
      <option value="debug">Debug and up</option><option value="info">Info and up</option><option value="warn">Warnings and errors</option><option value="error">Errors only</option>
    </select>
    <input id="log-worker" list="log-workers" placeholder="Worker" aria-label="Show one worker's lines">
    <datalist id="log-workers"></datalist>
    <input id="log-text" type="search" placeholder="Filter text" aria-label="Filter log text">
    <span id="log-count" class="muted"></span>
    <span class="spacer"></span>
    <button type="button" id="log-clear" class="secondary">Clear</button>
  </div>
  <div id="log-source" class="muted small"></div>
  <div id="log-scroll" class="log-scroll" tabindex="0" aria-label="Log lines"><div id="log-spacer"></div><div id="log-rows" role="log"></div></div>
</section>
<script nonce="${attr(o.nonce)}" src="${attr(o.scriptUri)}"></script>
</body>
</html>`;
}

function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
