import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { LogLine, WebviewState } from '../../src/shared/protocol';
import { frames, posted, send, startDashboardPage, type DashboardPage } from './dashboardPage';
import { recordedSession } from './fixtures';

const NOW = Date.UTC(2026, 1, 7, 21, 50, 30);
/** VS Code's Light Modern values for what the page reads. */
const LIGHT_THEME: Record<string, string> = {
  '--vscode-foreground': '#3b3b3b',
  '--vscode-editor-foreground': '#3b3b3b',
  '--vscode-editor-background': '#ffffff',
  '--vscode-sideBar-background': '#f8f8f8',
  '--vscode-panel-border': '#e5e5e5',
  '--vscode-descriptionForeground': '#3b3b3b',
  '--vscode-button-secondaryBackground': '#e5e5e5',
  '--vscode-button-secondaryForeground': '#3b3b3b',
  '--vscode-input-background': '#ffffff',
  '--vscode-input-foreground': '#3b3b3b',
  '--vscode-input-border': '#cecece',
  '--vscode-dropdown-background': '#ffffff',
  '--vscode-list-hoverBackground': '#f2f2f2',
  '--vscode-terminal-background': '#ffffff',
  '--vscode-textLink-foreground': '#005fb8',
  '--vscode-errorForeground': '#f85149',
  '--vscode-charts-foreground': '#616161',
  '--vscode-charts-lines': 'rgba(97, 97, 97, 0.25)',
  '--vscode-charts-red': '#e51400',
  '--vscode-charts-blue': '#1a85ff',
  '--vscode-charts-yellow': '#bf8803',
  '--vscode-charts-orange': '#d18616',
  '--vscode-charts-green': '#388a34',
  '--vscode-charts-purple': '#652d90',
};

type Win = { __xss: number; __csp: string[]; __state?: WebviewState };
const pageVars = (page: Page) =>
  page.evaluate(() => {
    const w = window as unknown as Win;
    return { xss: w.__xss, csp: w.__csp, state: w.__state };
  });
const kept = (page: Page) => page.$eval('#log-count', (e) => Number((e as HTMLElement).dataset.kept));

describe('dashboard webview in headless Chromium', () => {
  let dash: DashboardPage;
  const errors: string[] = [];

  before(async () => {
    dash = await startDashboardPage();
  });
  after(async () => {
    await dash?.close();
  });

  async function openWithSession(): Promise<Page> {
    const page = await dash.open();
    page.on('pageerror', (e) => errors.push(String(e)));
    await send(page, recordedSession(NOW).snapshot);
    await page.waitForSelector('body[data-ready="true"]');
    await frames(page);
    return page;
  }

  it('replicas sharing a name are separate lines, told apart by id, update after update', async () => {
    const page = await openWithSession();
    const { metrics } = recordedSession(NOW).snapshot;
    const series = metrics.throughput.fleet;
    const twins = {
      ...metrics,
      throughput: {
        fleet: series,
        workers: [
          { id: 'e-1', name: 'email-worker', values: series },
          { id: 'e-2', name: 'email-worker', values: series.map(() => 0) },
        ],
      },
    };
    const labels = async () =>
      (
        JSON.parse((await page.$eval('#charts', (e) => (e as HTMLElement).dataset.summary))!) as Record<
          string,
          { labels: string[] }
        >
      ).throughput!.labels;
    for (let update = 1; update <= 2; update++) {
      await send(page, { type: 'metrics/didChange', metrics: twins });
      await frames(page);
      assert.deepEqual(await labels(), ['Fleet total', 'email-worker (e-1)', 'email-worker (e-2)'], `update ${update}`);
    }
    await page.close();
  });

  it('says ready, then draws every chart from a recorded snapshot under the strict CSP', async () => {
    const page = await openWithSession();
    const first = (await posted(page))[0];
    assert.deepEqual(
      first,
      { type: 'webview/ready', window: 'auto', worker: null },
      'until the user picks a window, the host fits one to the history',
    );
    const summary = JSON.parse((await page.$eval('#charts', (e) => (e as HTMLElement).dataset.summary))!) as Record<
      string,
      { datasets: number; points: number }
    >;
    for (const kind of ['throughput', 'errors', 'duration', 'health', 'queues']) {
      assert.ok(summary[kind]!.datasets > 0 && summary[kind]!.points > 0, `${kind}: ${JSON.stringify(summary[kind])}`);
    }
    assert.ok(summary.throughput!.datasets >= 2, 'fleet total plus the busiest workers');
    const canvases = await page.$$eval('canvas', (cs) =>
      cs.map((c) => ({ id: c.id, w: c.width, h: c.height, hidden: !!c.closest('[hidden]') })),
    );
    assert.equal(canvases.length, 5);
    for (const c of canvases) assert.ok(c.w > 100 && c.h > 100, `${c.id} has a size`);
    assert.equal(await page.$$eval('#worker-table tbody tr', (r) => r.length), 8);
    assert.match((await page.textContent('#kpis')) ?? '', /workers alive/);
    const v = await pageVars(page);
    assert.deepEqual(v.csp, [], 'no CSP violation: chart.js and the page need nothing the policy forbids');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('a lone bucket is drawn, an empty chart says what it waits for, and the fitted window is the one pressed', async () => {
    const page = await openWithSession();
    const base = recordedSession(NOW).snapshot.metrics;
    const n = base.times.length;
    const lone = Array.from({ length: n }, (_, i) => (i === n - 1 ? 12 : null));
    const empty = Array.from({ length: n }, () => null);
    await send(page, {
      type: 'metrics/didChange',
      metrics: {
        ...base,
        window: '5m',
        auto: true,
        throughput: { fleet: lone, workers: [] },
        duration: { p50: empty, p95: empty },
        notes: { duration: 'This fleet does not report task durations' },
      },
    });
    await frames(page);
    const summary = JSON.parse((await page.$eval('#charts', (e) => (e as HTMLElement).dataset.summary))!) as Record<
      string,
      { drawn: number; note?: string }
    >;
    assert.equal(summary.throughput!.drawn, 1, 'the one bucket is there to see');
    // Pixels of the line's colour in the plot (the legend, at the bottom, left out): a line
    // through one point draws none; the lone bucket's dot does.
    const dotPixels = await page.$eval('#chart-throughput', (c) => {
      const canvas = c as HTMLCanvasElement;
      const img = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, Math.floor(canvas.height * 0.7)).data;
      let n = 0;
      for (let i = 0; i < img.length; i += 4) if (img[i + 3]! > 200 && img[i + 2]! > img[i]! + 60) n++;
      return n;
    });
    assert.ok(dotPixels > 10, `a dot is drawn for the lone bucket (${dotPixels} blue pixels)`);
    assert.equal(await page.textContent('#fig-duration .chart-note'), 'This fleet does not report task durations');
    assert.equal(await page.$('#fig-throughput .chart-note'), null, 'no note over a chart with data');
    assert.equal(
      await page.getAttribute('[data-window="5m"]', 'aria-pressed'),
      'true',
      'the window the host fitted is shown pressed',
    );
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('shows store text holding HTML as text and runs none of it', async () => {
    const page = await openWithSession();
    const evil: LogLine[] = [
      {
        seq: 1_000_001,
        ts: NOW,
        level: 'error',
        worker: '<img src=x onerror=window.__xss++>',
        source: 'work_errors',
        text: '<img src=x onerror="window.__xss++"> boom',
      },
      {
        seq: 1_000_002,
        ts: NOW,
        level: 'error',
        worker: 'w1',
        source: 'work_errors',
        text: '<script>window.__xss++</script><b>bold?</b>',
      },
      {
        seq: 1_000_003,
        ts: NOW,
        level: 'error',
        worker: 'w1',
        source: 'work_errors',
        text: 'at x (<svg onload=window.__xss++>.js:1:1)',
        links: [{ start: 6, end: 39, path: '<svg onload=window.__xss++>.js', line: 1 }],
      },
    ];
    await send(page, { type: 'logs/didAppend', lines: evil });
    await send(page, {
      type: 'workers/didChange',
      now: NOW,
      total: 1,
      rows: [
        {
          id: 'x',
          name: '<img src=x onerror=window.__xss++>',
          health: 'dead',
          reason: '<script>window.__xss++</script>',
          task: '<iframe src=javascript:window.__xss++>',
          stale: false,
        },
      ],
    });
    await frames(page, 3);
    const rows = await page.$$eval('#log-rows .log-row', (rs) => rs.map((r) => r.textContent ?? ''));
    assert.ok(
      rows.some((t) => t.includes('<img src=x onerror="window.__xss++"> boom')),
      'the markup is shown literally',
    );
    assert.ok(rows.some((t) => t.includes('<script>window.__xss++</script><b>bold?</b>')));
    assert.equal(
      await page.$$eval('#log-rows img, #log-rows script, #log-rows b, #log-rows svg', (e) => e.length),
      0,
      'no element was created from log text',
    );
    assert.equal(
      await page.$$eval('#worker-table img, #worker-table script, #worker-table iframe', (e) => e.length),
      0,
    );
    assert.match((await page.textContent('#worker-table tbody')) ?? '', /<img src=x onerror=window.__xss\+\+>/);
    assert.equal((await pageVars(page)).xss, 0, 'nothing ran');
    assert.equal(await page.$$eval('script', (s) => s.length), 1, 'only our own bundle');
    await page.close();
  });

  it('keeps a timeline of transitions, newest first, with store text as text', async () => {
    const page = await openWithSession();
    assert.match((await page.textContent('#timeline-count')) ?? '', /None since connecting/);
    await send(page, {
      type: 'timeline/didChange',
      timeline: [
        { id: 'g1', name: 'gpu-1', from: 'healthy', to: 'dead', at: NOW - 60_000 },
        { id: 'x', name: '<img src=x onerror=window.__xss++>', from: 'working', to: 'crashed', at: NOW - 30_000 },
        { id: 'g1', name: 'gpu-1', from: 'dead', to: 'healthy', at: NOW },
      ],
    });
    await frames(page);
    const rows = await page.$$eval('#timeline-rows li', (li) =>
      li.map((l) => Array.from(l.children, (c) => c.textContent).join(' | ')),
    );
    assert.equal(rows.length, 3);
    assert.match(rows[0], /^\d\d:\d\d:\d\d \| gpu-1 \| dead → healthy$/);
    assert.match(rows[1], /<img src=x onerror=window.__xss\+\+> \| working → crashed$/);
    assert.match(rows[2], /gpu-1 \| healthy → dead$/);
    assert.equal(await page.$$eval('#timeline-rows img', (e) => e.length), 0);
    assert.equal((await pageVars(page)).xss, 0, 'nothing ran');
    assert.match((await page.textContent('#timeline-count')) ?? '', /3 since connecting/);
    await page.close();
  });

  it('keeps the log at its bound with 50,000 lines streamed, rendering only what is in view', async () => {
    const page = await openWithSession();
    const started = Date.now();
    const streamed = await page.evaluate(async () => {
      const batch = 500;
      for (let b = 0; b < 100; b++) {
        const lines = [];
        for (let i = 0; i < batch; i++) {
          const n = b * batch + i;
          lines.push({
            seq: 2_000_000 + n,
            ts: Date.now(),
            level: n % 50 === 0 ? 'error' : 'info',
            worker: `worker-${n % 8}`,
            source: 'events:stream',
            text: `streamed line ${n}`,
          });
        }
        window.dispatchEvent(new MessageEvent('message', { data: { type: 'logs/didAppend', lines } }));
        // One host batch per 100 ms at 5,000 lines/s; here as fast as the page takes them.
        if (b % 10 === 9) await new Promise((r) => requestAnimationFrame(r));
      }
      return 100 * batch;
    });
    const elapsed = Date.now() - started;
    await frames(page, 3);
    assert.equal(streamed, 50_000);
    assert.equal(await kept(page), 10_000, 'the buffer holds exactly its bound');
    const domRows = await page.$$eval('#log-rows .log-row', (r) => r.length);
    assert.ok(domRows > 0 && domRows < 100, `virtual list: ${domRows} rows in the DOM`);
    const lastText = await page.$$eval('#log-rows .log-row', (rs) => rs[rs.length - 1]?.textContent ?? '');
    assert.match(lastText, /streamed line 49999$/, 'following shows the newest line');
    console.log(`# webview took 50,000 lines in ${elapsed} ms (${Math.round(50_000 / (elapsed / 1000))} lines/s)`);

    // Pausing freezes the view and keeps collecting.
    await page.click('#follow');
    await send(page, {
      type: 'logs/didAppend',
      lines: [{ seq: 3_000_000, ts: NOW, level: 'info', source: 's', text: 'while paused' }],
    });
    await frames(page, 2);
    assert.match((await page.textContent('#follow')) ?? '', /Follow \(1 new\)/);
    assert.equal(await kept(page), 10_000);
    // Filters narrow what is shown, not what is kept.
    await page.selectOption('#log-level', 'error');
    await frames(page, 2);
    // Errors are every 50th line; the line added while paused pushed out line 40,000, an error.
    assert.equal(await page.$eval('#log-count', (e) => Number((e as HTMLElement).dataset.shown)), 199);
    await page.close();
  });

  it('posts link, window, export and focus commands, and keeps UI state across a reload', async () => {
    const page = await openWithSession();
    await page.click('a.link >> nth=0');
    await page.click('[data-window="6h"]');
    await page.click('#export');
    await page.click('#worker-table tbody tr >> nth=0');
    const msgs = await posted(page);
    assert.deepEqual(
      msgs.find((m) => m.type === 'link/open'),
      { type: 'link/open', path: '/app/shared/agents/worker.py', line: 142 },
    );
    assert.ok(msgs.some((m) => m.type === 'view/configure' && m.window === '6h'));
    assert.ok(msgs.some((m) => m.type === 'metrics/export'));
    const focused = msgs.filter((m) => m.type === 'view/configure').at(-1);
    assert.equal(
      focused?.type === 'view/configure' && focused.worker,
      'worker-7',
      'table sorted worst first: the dead worker is on top',
    );
    assert.equal(await page.inputValue('#log-worker'), 'worker-7');
    const state = (await pageVars(page)).state!;
    assert.equal(state.window, '6h');
    await page.close();

    const again = await dash.open({ state });
    assert.deepEqual((await posted(again))[0], { type: 'webview/ready', window: '6h', worker: 'worker-7' });
    assert.equal(await again.getAttribute('[data-window="6h"]', 'aria-pressed'), 'true');
    await again.close();
  });

  it('saves a screenshot of the dashboard to test-results/dashboard.png', async () => {
    const page = await openWithSession();
    await page.evaluate(() => window.scrollTo(0, 0));
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/dashboard.png', fullPage: true });
    await page.close();
  });

  it('redraws the charts in the new colours when VS Code switches to a light theme', async () => {
    const page = await openWithSession();
    const color = async () =>
      JSON.parse((await page.$eval('#charts', (e) => (e as HTMLElement).dataset.summary))!).throughput.color as string;
    assert.equal(await color(), '#3794ff');
    await page.evaluate((vars) => {
      for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
      document.body.classList.replace('vscode-dark', 'vscode-light');
    }, LIGHT_THEME);
    await page.waitForFunction(
      () =>
        JSON.parse((document.getElementById('charts') as HTMLElement).dataset.summary!).throughput.color === '#1a85ff',
    );
    await page.screenshot({ path: 'test-results/dashboard-light.png', fullPage: true });
    await page.close();
  });
});
