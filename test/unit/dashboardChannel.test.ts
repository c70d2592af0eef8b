import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkerView } from '../../src/core/model';
import type { HostMessage, MetricsView } from '../../src/shared/protocol';
import { dashboardHtml, makeNonce } from '../../src/vscode/dashboard/dashboardHtml';
import { WebviewChannel } from '../../src/vscode/dashboard/webviewChannel';
import { workerRows } from '../../src/vscode/dashboard/workerRows';

const metrics = { window: '5m' } as MetricsView;
const snapshot = (): HostMessage & { type: 'dashboard/snapshot' } => ({
  type: 'dashboard/snapshot',
  config: { maxLines: 10 },
  connection: { state: 'connected' },
  metrics,
  workers: { now: 0, rows: [], total: 0 },
  logs: [],
});

describe('WebviewChannel', () => {
  it('keeps only the latest notification of each kind while the page is not live', () => {
    const sent: HostMessage[] = [];
    const ch = new WebviewChannel((m) => sent.push(m));
    ch.notify({ type: 'dashboard/notice', text: 'first' });
    ch.notify({ type: 'dashboard/notice', text: 'second' });
    ch.notify({ type: 'metrics/didChange', metrics });
    ch.notify({ type: 'dashboard/focus', worker: 'w1', section: 'logs' });
    assert.equal(sent.length, 0);
    assert.deepEqual(ch.pendingTypes().sort(), ['dashboard/focus', 'dashboard/notice', 'metrics/didChange']);
    ch.ready(snapshot());
    // The snapshot carries the metrics; what it does not cover follows it.
    assert.deepEqual(
      sent.map((m) => m.type),
      ['dashboard/snapshot', 'dashboard/notice', 'dashboard/focus'],
    );
    assert.equal((sent[1] as { text: string }).text, 'second');
    assert.deepEqual(ch.pendingTypes(), []);
  });

  it('posts directly while live and buffers again once hidden', () => {
    const sent: HostMessage[] = [];
    const ch = new WebviewChannel((m) => sent.push(m));
    ch.ready(snapshot());
    ch.notify({ type: 'logs/didAppend', lines: [] });
    assert.equal(sent.length, 2);
    ch.hidden();
    assert.equal(ch.isLive, false);
    ch.notify({ type: 'logs/didAppend', lines: [] });
    assert.equal(sent.length, 2);
  });
});

describe('dashboard page', () => {
  it('has a strict CSP: nothing by default, our script by nonce, styles only from the extension', () => {
    const nonce = makeNonce();
    const html = dashboardHtml({
      cspSource: 'https://x.vscode-cdn.net',
      scriptUri: 'https://x/main.js',
      styleUri: 'https://x/main.css',
      nonce,
    });
    const csp = /Content-Security-Policy" content="([^"]+)"/.exec(html)![1]!;
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, new RegExp(`script-src 'nonce-${nonce.replace(/[+/=]/g, (c) => `\\${c}`)}'`));
    assert.match(csp, /style-src https:\/\/x\.vscode-cdn\.net(;|$)/);
    assert.doesNotMatch(csp, /unsafe-(inline|eval)/);
    assert.equal((html.match(/<script/g) ?? []).length, 1);
    assert.ok(html.includes(`<script nonce="${nonce}" src="https://x/main.js">`));
    assert.doesNotMatch(html, /style="/, 'no inline style attributes (blocked by the CSP)');
    assert.notEqual(makeNonce(), nonce);
  });
});

describe('worker rows', () => {
  const v = (id: string, health: WorkerView['health'], startedAt?: number): WorkerView => ({
    snapshot: {
      id,
      name: id,
      problems: [],
      ...(startedAt !== undefined ? { task: { title: 't', type: 'llm', startedAt } } : {}),
    },
    health,
    reason: '',
    stale: false,
  });

  it('caps a huge fleet to the rows needing attention most: worst health, then longest task', () => {
    const views = [v('a', 'healthy'), v('b', 'dead'), v('c', 'working', 100), v('d', 'working', 50), v('e', 'slow')];
    const p = workerRows(views, 1000, 3);
    assert.equal(p.total, 5);
    assert.deepEqual(
      p.rows.map((r) => r.id),
      ['b', 'e', 'd'],
    );
    assert.equal(p.rows[2]!.task, 't (llm)');
    assert.equal(p.rows[2]!.taskStartedAt, 50);
  });
});
