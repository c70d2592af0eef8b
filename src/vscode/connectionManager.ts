import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { redactUrl, redactUrlsIn, type ConnectionConfig } from '../core/connectionConfig';
import type { Fleet } from '../core/fleet';
import { LiveSession } from '../core/liveSession';
import { createSource } from '../sources/createSource';
import { expandPath } from '../sources/files/glob';
import type { SourceSink, WorkerSource } from '../sources/source';
import type { Secrets } from './secrets';
import * as settings from './settings';

/**
 * Owns the one active source and the live session it feeds (Fleet, metrics, logs, the
 * health clock). The session outlives connection switches so views subscribe once; a
 * switch to another store resets it and starts the new source.
 */
export class ConnectionManager implements vscode.Disposable {
  readonly session: LiveSession;
  private source?: WorkerSource;
  /** Whether activity (logs, events, queue depths) is wanted: the dashboard is open. */
  private activityWanted = false;
  private generation = 0;
  private _active?: ConnectionConfig;
  private readonly changed = new vscode.EventEmitter<ConnectionConfig | undefined>();
  /** Fires when the active connection is replaced (not on every data change: that is the Fleet's). */
  readonly onDidChangeActive = this.changed.event;

  constructor(
    private readonly secrets: Secrets,
    private readonly log: vscode.LogOutputChannel,
    /** Whether a stack-frame path is a workspace file (only those become links in the logs panel). */
    resolves?: (path: string) => boolean,
  ) {
    this.session = new LiveSession({
      thresholds: settings.thresholds(),
      logs: { maxLines: settings.logMaxLines(), resolves },
    });
  }

  get fleet(): Fleet {
    return this.session.fleet;
  }

  /** The dashboard opened or closed: the source follows activity only while someone looks. */
  followActivity(on: boolean): void {
    this.activityWanted = on;
    this.source?.followActivity(on);
  }

  get active(): ConnectionConfig | undefined {
    return this._active;
  }

  /** Re-reads settings and (re)starts the source for the active connection. */
  async reload(): Promise<void> {
    const gen = ++this.generation;
    await this.stopSource();
    // Closing the old source can take a moment (a Realtime leave, a Redis QUIT): a newer
    // reload may have started and finished meanwhile, and must not be undone by this one.
    if (gen !== this.generation) return;
    const { connections, errors } = settings.connections();
    for (const e of errors) this.log.warn(e);
    const wanted = settings.activeConnectionName();
    const conn = connections.find((c) => c.name === wanted) ?? connections[0] ?? defaultFolderConnection();
    await vscode.commands.executeCommand('setContext', 'workerLens.noConnection', !conn);
    // The same store again (a new password, a changed poll interval): the workers on screen
    // stay, as last known, until the new source reads them or says why it cannot.
    const prev = this._active;
    const sameStore =
      !!prev &&
      !!conn &&
      prev.name === conn.name &&
      prev.type === conn.type &&
      prev.url === conn.url &&
      prev.path === conn.path;
    this._active = conn;
    // Before the fleet is emptied for another store: placeholders are only ever judged against a read.
    this.session.setExpected(settings.expectedWorkers(conn));
    if (!sameStore) {
      this.fleet.replaceAll([]);
      this.session.reset();
    }
    this.fleet.setThresholds(settings.thresholds(conn));
    if (!conn) {
      const unread = settings.untrustedWorkspaceFolders().some((p) => existsSync(p));
      const why = unread
        ? 'This workspace is not trusted: its .workers/ folder is read once you trust it (Restricted Mode).'
        : 'No connection configured.';
      this.fleet.setConnection({ state: 'error', message: errors[0] ?? why });
      this.changed.fire(undefined);
      return;
    }
    const notices = [...errors];
    if (wanted && conn.name !== wanted) {
      notices.push(`Connection "${wanted}" is not configured (or has a mistake); showing "${conn.name}".`);
      this.log.warn(notices[notices.length - 1]);
    }
    this.tellOnce(notices);

    const secret = await this.secrets.get(conn);
    if (gen !== this.generation) return; // a newer reload won the race
    let source: WorkerSource | string;
    try {
      // A relative folder means the workspace's, as a user writing it in workspace settings expects.
      const resolved =
        conn.type === 'files' && conn.path ? { ...conn, path: expandPath(conn.path, settings.workspaceBase()) } : conn;
      source = createSource(resolved, secret, settings.sourceSettings());
      if (typeof source !== 'string') {
        this.log.info(
          `Watching "${conn.name}" (${conn.type}${conn.url ? ` ${redactUrl(conn.url)}` : ''}${conn.path ? ` ${conn.path}` : ''})`,
        );
        this.source = source;
        source.start(this.sink());
        if (this.activityWanted) source.followActivity(true);
      }
    } catch (err) {
      // A setting that passed validation but that a client library refuses (a URL it
      // cannot parse, a glob that is not one): said in the view, never thrown at the host.
      await this.stopSource();
      source = `Connection "${conn.name}" cannot start: ${redactUrlsIn((err as Error)?.message ?? String(err))}. Check it in settings (workerLens.connections).`;
    }
    if (typeof source === 'string') {
      this.log.error(source);
      this.fleet.setConnection({ state: 'error', message: source });
    }
    this.changed.fire(conn);
  }

  private lastNotice = '';

  /**
   * Settings mistakes, said on screen once (the view shows the connection that works, so
   * the log alone would hide them); again only when they change.
   */
  private tellOnce(notices: string[]): void {
    const key = notices.join('\n');
    if (key === this.lastNotice) return;
    this.lastNotice = key;
    if (!notices.length) return;
    const more = notices.length > 1 ? ` (and ${notices.length - 1} more in Output › Worker Lens)` : '';
    const open = 'Open Settings (JSON)';
    void vscode.window.showWarningMessage(`Worker Lens: ${notices[0]}${more}`, open).then((choice) => {
      if (choice === open) void vscode.commands.executeCommand('workbench.action.openSettingsJson');
    });
  }

  refresh(): Promise<void> {
    return this.source?.refresh() ?? this.reload();
  }

  /** Threshold settings changed: re-derive health, no need to reconnect. */
  applyThresholds(): void {
    this.fleet.setThresholds(settings.thresholds(this._active));
  }

  private sink(): SourceSink {
    const fleet = this.fleet;
    const log = this.log;
    let lastState = '';
    return {
      ...this.session.sink(),
      setConnection: (s) => {
        // Log transitions, not every successful poll.
        const key = `${s.state}|${s.message ?? ''}|${s.liveMode ?? ''}`;
        if (key !== lastState) {
          lastState = key;
          if (s.state === 'connected') log.info(`Live updates: ${s.liveMode ?? 'poll'}`);
        }
        fleet.setConnection(s);
      },
      log: (level, message) => log[level](message),
    };
  }

  private async stopSource(): Promise<void> {
    const s = this.source;
    this.source = undefined;
    if (s) {
      try {
        await s.dispose();
      } catch (err) {
        this.log.warn(`Closing the previous connection failed: ${String(err)}`);
      }
    }
  }

  dispose(): void {
    this.generation++;
    void this.stopSource();
    this.changed.dispose();
    this.session.dispose();
  }
}

/** Zero setup: with no connection configured, a `.workers/` folder of heartbeat files is used without asking. */
function defaultFolderConnection(): ConnectionConfig | undefined {
  const path = settings.defaultFolderCandidates().find((p) => existsSync(p));
  // With the workers' `*.log` files beside their heartbeats (seed 004, `npm run demo`): the dashboard has their story.
  return path ? { name: '.workers', type: 'files', path, preset: 'heartbeat-files', logs: '*.log' } : undefined;
}
