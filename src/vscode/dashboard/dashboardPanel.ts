import * as vscode from 'vscode';
import { Coalescer } from '../../core/coalescer';
import type { ConnectionConfig } from '../../core/connectionConfig';
import type { Fleet } from '../../core/fleet';
import type { LogEntry } from '../../core/logEntry';
import { LogPipeline } from '../../core/logLines';
import { MetricsStore } from '../../core/metrics';
import { DEFAULT_MAX_LOG_LINES, WINDOWS, type ConnectionInfo, type HostMessage, type Section, type WebviewMessage, type WindowKey } from '../../shared/protocol';
import { exportMetrics, openLink } from './dashboardActions';
import { startFeeds, type Feeds } from './dashboardFeeds';
import { dashboardHtml, makeNonce } from './dashboardHtml';
import { LinkResolver } from './linkResolver';
import { WebviewChannel } from './webviewChannel';
import { workerRows } from './workerRows';

export interface DashboardDeps {
  fleet: Fleet;
  log: vscode.LogOutputChannel;
  /** The active connection and its secret (secret store or secretEnv), if any. */
  activeConnection(): Promise<{ config: ConnectionConfig; secret?: string } | undefined>;
  /** Fires when the active connection is replaced. */
  onDidChangeConnection: vscode.Event<unknown>;
}

/** Table rows and log lines reach the page at once when it is quiet, at most 5×/s in a burst. */
const WINDOW_MS = 200;
/** Past this many rows a table update is large (up to MAX_ROWS): at most one a second. */
const LARGE_TABLE = 500;
const METRICS_MS = 1000;

/**
 * The dashboard: one webview panel with charts, the worker table and tailed logs.
 * Metrics are collected from activation (in memory, from the Fleet); log streams are
 * followed while the panel exists. The page is not kept alive while hidden: it keeps
 * small UI state with setState and gets a snapshot from here whenever it loads.
 */
export class DashboardPanel implements vscode.Disposable {
  static readonly viewType = 'workerLens.dashboard';
  private store = new MetricsStore();
  private readonly logs: LogPipeline;
  private readonly resolver = new LinkResolver(() => (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath));
  private panel?: vscode.WebviewPanel;
  private channel?: WebviewChannel;
  private feeds?: Feeds;
  private feedsGen = 0;
  private lastIds: Record<string, string> = {};
  private logStatus = '';
  private window: WindowKey = '1h';
  private worker: string | null = null;
  private readonly workersPainter = new Coalescer(
    () => this.pushWorkers(),
    () => (this.deps.fleet.size > LARGE_TABLE ? 1000 : WINDOW_MS),
  );
  private readonly logsPainter = new Coalescer(() => this.pushLogs(), WINDOW_MS);
  private timers: NodeJS.Timeout[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private stopMetrics: () => void;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly deps: DashboardDeps,
  ) {
    this.logs = new LogPipeline({ maxLines: maxLinesSetting(), resolves: (p) => this.resolver.resolve(p) !== undefined });
    this.stopMetrics = this.store.attach(deps.fleet);
    const offFleet = deps.fleet.onChange((c) => {
      this.workersPainter.request();
      if (c.connection) this.channel?.notify({ type: 'connection/didChange', connection: this.connectionInfo() });
    });
    this.disposables.push(
      { dispose: offFleet },
      vscode.window.registerWebviewPanelSerializer(DashboardPanel.viewType, {
        deserializeWebviewPanel: async (panel) => this.adopt(panel),
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('workerLens.logs.maxLines')) return;
        this.logs.setMaxLines(maxLinesSetting());
        this.channel?.notify({ type: 'logs/didReset', lines: this.logs.all(), config: { maxLines: this.logs.maxLines } });
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.resolver.reset()),
      deps.onDidChangeConnection(() => {
        // Another store: its fleet's numbers must not join the previous one's on the same chart.
        this.stopMetrics();
        this.store = new MetricsStore();
        this.stopMetrics = this.store.attach(deps.fleet);
        void this.restartFeeds(true);
      }),
    );
  }

  /** Where other sources (files, Supabase) report finished tasks and queue depths for the charts. */
  get metrics(): MetricsStore {
    return this.store;
  }

  /** `workerLens.openDashboard` (and `showLogs` with a worker): opens or reveals, optionally narrowed to one worker. */
  open(worker?: string, section?: Section): void {
    if (this.panel) this.panel.reveal();
    else {
      const panel = vscode.window.createWebviewPanel(DashboardPanel.viewType, 'Worker Lens', vscode.ViewColumn.Active, this.webviewOptions());
      this.adopt(panel);
    }
    if (worker !== undefined || section) this.channel?.notify({ type: 'dashboard/focus', ...(worker !== undefined ? { worker } : {}), section });
  }

  /** `workerLens.showLogs`: the logs section, narrowed to the worker when one is given. */
  showLogs(worker?: string): void {
    this.open(worker, 'logs');
  }

  /** `workerLens.exportMetrics`: the current window (and worker filter) through a Save dialog. */
  async exportMetrics(): Promise<void> {
    const conn = await this.deps.activeConnection();
    await exportMetrics(this.metrics.view(this.window, this.worker ?? undefined), conn?.config.name);
  }

  /** For any source with log lines (files, Supabase): they show in the logs panel and its filters. */
  appendLogs(entries: readonly LogEntry[]): void {
    this.addLogs(entries);
  }

  private webviewOptions(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    const uri = this.context.extensionUri;
    return {
      enableScripts: true,
      enableFindWidget: true,
      localResourceRoots: [vscode.Uri.joinPath(uri, 'dist', 'webview'), vscode.Uri.joinPath(uri, 'media')],
    };
  }

  /** Takes over a new panel, or one VS Code restored after a reload. */
  private adopt(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    panel.iconPath = vscode.Uri.joinPath(this.context.extensionUri, 'media', 'workers.svg');
    panel.webview.options = this.webviewOptions();
    const channel = new WebviewChannel((m) => panel.webview.postMessage(m));
    this.channel = channel;
    const subs = [
      panel.webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m)),
      panel.onDidChangeViewState(({ webviewPanel }) => {
        // Hidden, the page is destroyed; it says ready again when shown.
        if (!webviewPanel.visible) this.pause();
      }),
    ];
    panel.onDidDispose(() => {
      subs.forEach((s) => s.dispose());
      this.pause();
      this.panel = undefined;
      this.channel = undefined;
      void this.stopFeeds();
    });
    const dist = vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview');
    panel.webview.html = dashboardHtml({
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'main.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'main.css')).toString(),
      nonce: makeNonce(),
    });
    void this.restartFeeds(false);
  }

  private async onMessage(raw: unknown): Promise<void> {
    const m = raw as WebviewMessage;
    if (!m || typeof m !== 'object' || typeof m.type !== 'string') return;
    try {
      switch (m.type) {
        case 'webview/ready':
        case 'view/configure':
          if (Object.hasOwn(WINDOWS, m.window)) this.window = m.window; // own keys only: 'toString' is not a window
          this.worker = typeof m.worker === 'string' ? m.worker : null;
          if (m.type === 'webview/ready') this.resume();
          else this.pushMetrics();
          break;
        case 'link/open': {
          if (typeof m.path !== 'string' || !Number.isFinite(m.line)) return;
          const why = await openLink(this.resolver, m.path, m.line, m.column);
          if (why) this.channel?.notify({ type: 'dashboard/notice', text: why });
          break;
        }
        case 'metrics/export':
          await this.exportMetrics();
          break;
        case 'logs/clear':
          this.logs.clear();
          break;
      }
    } catch (err) {
      this.deps.log.warn(`Dashboard: ${m.type} failed: ${String(err)}`);
      this.channel?.notify({ type: 'dashboard/notice', text: `${m.type} failed: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  /** The page is up: one snapshot, then live updates on timers that run only while it is. */
  private resume(): void {
    const channel = this.channel;
    if (!channel) return;
    this.pause();
    this.logs.takePending(); // the snapshot below carries them
    channel.ready({
      type: 'dashboard/snapshot',
      config: { maxLines: this.logs.maxLines },
      connection: this.connectionInfo(),
      metrics: this.metrics.view(this.window, this.worker ?? undefined),
      workers: workerRows(this.deps.fleet.workers(), Date.now()),
      logs: this.logs.all(),
    });
    this.timers = [setInterval(() => this.pushMetrics(), METRICS_MS)];
  }

  private addLogs(entries: readonly LogEntry[]): void {
    if (!entries.length) return;
    this.logs.add(entries);
    this.logsPainter.request();
  }

  /** While the page is away, lines wait in the pipeline: the snapshot on its return carries them. */
  private pushLogs(): void {
    if (this.channel?.isLive && this.logs.hasPending) this.channel.notify({ type: 'logs/didAppend', lines: this.logs.takePending() });
  }

  /** The same for rows: the snapshot carries the fleet as it is then. */
  private pushWorkers(): void {
    if (this.channel?.isLive) this.channel.notify({ type: 'workers/didChange', ...workerRows(this.deps.fleet.workers(), Date.now()) });
  }

  private pause(): void {
    this.channel?.hidden();
    this.timers.forEach(clearInterval);
    this.timers = [];
  }

  private pushMetrics(): void {
    const channel = this.channel;
    if (!channel?.isLive) return;
    channel.notify({ type: 'metrics/didChange', metrics: this.metrics.view(this.window, this.worker ?? undefined) });
  }

  private connectionInfo(): ConnectionInfo {
    const c = this.deps.fleet.connection;
    return { state: c.state, message: c.message, liveMode: c.liveMode, logSource: this.logStatus || undefined };
  }

  private async restartFeeds(connectionChanged: boolean): Promise<void> {
    const gen = ++this.feedsGen;
    await this.stopFeeds();
    if (connectionChanged) {
      this.lastIds = {};
      this.logs.clear();
      this.channel?.notify({ type: 'logs/didReset', lines: [], config: { maxLines: this.logs.maxLines } });
    }
    if (!this.panel) return;
    const conn = await this.deps.activeConnection();
    if (gen !== this.feedsGen || !this.panel) return; // a newer restart, or the panel closed meanwhile
    if (!conn) return this.setLogStatus('Logs: no connection configured.');
    this.feeds = startFeeds(
      conn.config,
      conn.secret,
      {
        logs: (entries) => this.addLogs(entries),
        event: (e) => this.metrics.recordEvent(e),
        queueDepth: (name, d) => this.metrics.recordQueueDepth(name, d),
        status: (text) => this.setLogStatus(text),
      },
      this.lastIds,
    );
  }

  private setLogStatus(text: string): void {
    if (text === this.logStatus) return;
    this.logStatus = text;
    this.channel?.notify({ type: 'connection/didChange', connection: this.connectionInfo() });
  }

  private async stopFeeds(): Promise<void> {
    const f = this.feeds;
    this.feeds = undefined;
    if (!f) return;
    this.lastIds = f.lastIds();
    await f.dispose().catch((err) => this.deps.log.warn(`Dashboard: stopping log streams failed: ${String(err)}`));
  }

  dispose(): void {
    this.feedsGen++;
    this.panel?.dispose();
    this.pause();
    void this.stopFeeds();
    this.stopMetrics();
    this.workersPainter.dispose();
    this.logsPainter.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}

function maxLinesSetting(): number {
  const n = vscode.workspace.getConfiguration('workerLens').get<number>('logs.maxLines', DEFAULT_MAX_LOG_LINES);
  return Number.isFinite(n) && n >= 100 ? Math.min(Math.floor(n), 1_000_000) : DEFAULT_MAX_LOG_LINES;
}
