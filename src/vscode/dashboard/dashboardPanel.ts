import * as vscode from 'vscode';
import { Coalescer, FLOOD_WINDOW_MS } from '../../core/coalescer';
import type { ConnectionConfig } from '../../core/connectionConfig';
import type { LiveSession } from '../../core/liveSession';
import type { LogPipeline } from '../../core/logLines';
import type { MetricsStore } from '../../core/metrics';
import {
  WINDOWS,
  type ConnectionInfo,
  type MetricsView,
  type Section,
  type TransitionRow,
  type WebviewMessage,
  type WindowChoice,
} from '../../shared/protocol';
import { logMaxLines } from '../settings';
import { exportMetrics, openLink } from './dashboardActions';
import { dashboardHtml, makeNonce } from './dashboardHtml';
import type { LinkResolver } from './linkResolver';
import { WebviewChannel } from './webviewChannel';
import { workerRows } from './workerRows';

export interface DashboardDeps {
  /** Everything the dashboard shows: workers, metrics, log lines, activity status. Read only. */
  session: LiveSession;
  log: vscode.LogOutputChannel;
  /** Which stack-frame paths are workspace files (shared with the log pipeline). */
  resolver: LinkResolver;
  /** The active connection, if any (its name goes into exports). */
  activeConnection(): ConnectionConfig | undefined;
  /** Asks the active source to follow activity (logs, events, queue depths) while the panel exists. */
  followActivity(on: boolean): void;
}

/** Table rows and log lines reach the page at once when it is quiet, at most 5×/s in a burst. */
const WINDOW_MS = 200;
/** Past this many rows a table update is large (up to MAX_ROWS): at most one a second. */
const LARGE_TABLE = 500;
const METRICS_MS = 1000;

/**
 * The dashboard: one webview panel with charts, the worker table and tailed logs. It
 * only reads the live session (metrics are collected there from activation; the source
 * follows log streams while the panel exists) and creates no store client. The page is
 * not kept alive while hidden: it keeps small UI state with setState and gets a snapshot
 * from here whenever it loads.
 */
export class DashboardPanel implements vscode.Disposable {
  static readonly viewType = 'workerLens.dashboard';
  private panel?: vscode.WebviewPanel;
  private channel?: WebviewChannel;
  private window: WindowChoice = 'auto';
  private worker: string | null = null;
  private readonly workersPainter = new Coalescer(
    () => this.pushWorkers(),
    () => (this.deps.session.fleet.size > LARGE_TABLE ? 1000 : WINDOW_MS),
    undefined,
    FLOOD_WINDOW_MS,
  );
  private readonly logsPainter = new Coalescer(() => this.pushLogs(), WINDOW_MS, undefined, FLOOD_WINDOW_MS);
  private timers: NodeJS.Timeout[] = [];
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly deps: DashboardDeps,
  ) {
    const session = deps.session;
    const offFleet = session.fleet.onChange((c) => {
      this.workersPainter.request();
      if (c.connection) this.channel?.notify({ type: 'connection/didChange', connection: this.connectionInfo() });
    });
    // Lines the source delivered into the session's pipeline: to the page at once when quiet.
    const offLogs = session.onLogs(() => this.logsPainter.request());
    const offActivity = session.onActivityStatus(() =>
      this.channel?.notify({ type: 'connection/didChange', connection: this.connectionInfo() }),
    );
    // Another store: the session emptied its logs and charts; the page shows them emptied.
    const offReset = session.onReset(() => {
      this.channel?.notify({ type: 'logs/didReset', lines: [], config: { maxLines: this.logs.maxLines } });
      this.channel?.notify({ type: 'timeline/didChange', timeline: [] });
    });
    const offTransitions = session.transitions.onTransitions(() =>
      this.channel?.notify({ type: 'timeline/didChange', timeline: this.timeline() }),
    );
    this.disposables.push(
      { dispose: offFleet },
      { dispose: offLogs },
      { dispose: offActivity },
      { dispose: offReset },
      { dispose: offTransitions },
      vscode.window.registerWebviewPanelSerializer(DashboardPanel.viewType, {
        deserializeWebviewPanel: async (panel) => this.adopt(panel),
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('workerLens.logs.maxLines')) return;
        this.logs.setMaxLines(logMaxLines());
        this.channel?.notify({
          type: 'logs/didReset',
          lines: this.logs.all(),
          config: { maxLines: this.logs.maxLines },
        });
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => deps.resolver.reset()),
    );
  }

  private get metrics(): MetricsStore {
    return this.deps.session.metrics;
  }

  private get logs(): LogPipeline {
    return this.deps.session.logs;
  }

  /** `workerLens.openDashboard` (and `showLogs` with a worker): opens or reveals, optionally narrowed to one worker. */
  open(worker?: string, section?: Section): void {
    if (this.panel) this.panel.reveal();
    else {
      const panel = vscode.window.createWebviewPanel(
        DashboardPanel.viewType,
        'Worker Lens',
        vscode.ViewColumn.Active,
        this.webviewOptions(),
      );
      this.adopt(panel);
    }
    if (worker !== undefined || section)
      this.channel?.notify({ type: 'dashboard/focus', ...(worker !== undefined ? { worker } : {}), section });
  }

  /** `workerLens.showLogs`: the logs section, narrowed to the worker when one is given. */
  showLogs(worker?: string): void {
    this.open(worker, 'logs');
  }

  /** `workerLens.exportMetrics`: the current window (and worker filter) through a Save dialog. */
  async exportMetrics(): Promise<void> {
    await exportMetrics(this.view(), this.deps.activeConnection()?.name);
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
      this.deps.followActivity(false);
    });
    const dist = vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview');
    panel.webview.html = dashboardHtml({
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'main.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'main.css')).toString(),
      nonce: makeNonce(),
    });
    this.deps.followActivity(true);
  }

  private async onMessage(raw: unknown): Promise<void> {
    const m = raw as WebviewMessage;
    if (!m || typeof m !== 'object' || typeof m.type !== 'string') return;
    try {
      switch (m.type) {
        case 'webview/ready':
        case 'view/configure':
          // Own keys only: 'toString' is not a window.
          if (m.window === 'auto' || Object.hasOwn(WINDOWS, m.window)) this.window = m.window;
          this.worker = typeof m.worker === 'string' ? m.worker : null;
          if (m.type === 'webview/ready') this.resume();
          else this.pushMetrics();
          break;
        case 'link/open': {
          if (typeof m.path !== 'string' || !Number.isFinite(m.line)) return;
          const why = await openLink(this.deps.resolver, m.path, m.line, m.column);
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
      this.channel?.notify({
        type: 'dashboard/notice',
        text: `${m.type} failed: ${err instanceof Error ? err.message : String(err)}`,
      });
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
      metrics: this.view(),
      workers: workerRows(this.deps.session.fleet.workers(), Date.now()),
      logs: this.logs.all(),
      timeline: this.timeline(),
    });
    this.timers = [setInterval(() => this.pushMetrics(), METRICS_MS)];
  }

  /** While the page is away, lines wait in the pipeline: the snapshot on its return carries them. */
  private pushLogs(): void {
    if (this.channel?.isLive && this.logs.hasPending)
      this.channel.notify({ type: 'logs/didAppend', lines: this.logs.takePending() });
  }

  /** The same for rows: the snapshot carries the fleet as it is then. */
  private pushWorkers(): void {
    if (this.channel?.isLive)
      this.channel.notify({ type: 'workers/didChange', ...workerRows(this.deps.session.fleet.workers(), Date.now()) });
  }

  private pause(): void {
    this.channel?.hidden();
    this.timers.forEach(clearInterval);
    this.timers = [];
  }

  private pushMetrics(): void {
    const channel = this.channel;
    if (!channel?.isLive) return;
    channel.notify({ type: 'metrics/didChange', metrics: this.view() });
  }

  /** The charts for the window shown: the user's, or until they pick one the shortest that holds the history. */
  view(): MetricsView {
    const worker = this.worker ?? undefined;
    if (this.window !== 'auto') return this.metrics.view(this.window, worker);
    return { ...this.metrics.view(this.metrics.fittingWindow(), worker), auto: true };
  }

  /** The session's transitions as the page shows them (the newest few hundred). */
  private timeline(): TransitionRow[] {
    return this.deps.session.transitions.timeline().map(({ id, name, from, to, at }) => ({ id, name, from, to, at }));
  }

  private connectionInfo(): ConnectionInfo {
    const c = this.deps.session.fleet.connection;
    return {
      state: c.state,
      message: c.message,
      liveMode: c.liveMode,
      logSource: this.deps.session.activityStatus || undefined,
    };
  }

  dispose(): void {
    this.panel?.dispose();
    this.pause();
    this.workersPainter.dispose();
    this.logsPainter.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}
