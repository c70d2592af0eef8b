import * as vscode from 'vscode';
import { AlertNotifier } from './vscode/alerts';
import { CodeDrift } from './vscode/codeDrift';
import { registerCommands } from './vscode/commands/registerCommands';
import { setControlUi } from './vscode/controlHost';
import { ConnectionManager } from './vscode/connectionManager';
import { controlFor } from './vscode/controlSettings';
import { storeModeProblem } from './control/controlConfig';
import { DashboardPanel } from './vscode/dashboard/dashboardPanel';
import { LinkResolver } from './vscode/dashboard/linkResolver';
import { createLog } from './vscode/log';
import { Secrets } from './vscode/secrets';
import { FleetStatusBar } from './vscode/statusBar';
import { WorkerTreeProvider, type TreeNode } from './vscode/workerTree';
import * as settings from './vscode/settings';

/** What the extension hands to its own tests (and to other extensions): read-only access to the model. */
export interface WorkerLensApi {
  manager: ConnectionManager;
  tree: WorkerTreeProvider;
  statusBar: FleetStatusBar;
  dashboard: DashboardPanel;
  /** Transition notifications as shown (tests observe these instead of the notification toasts). */
  alerts: AlertNotifier;
  /** Versions against the fleet's majority and the workspace's Git HEAD. */
  drift: CodeDrift;
  /** Replaces the confirmation dialogs (tests cannot click a modal); returns a restore function. */
  controlUi: typeof setControlUi;
}

/** Wiring only: every piece lives in src/vscode, src/core and src/sources. */
export async function activate(context: vscode.ExtensionContext): Promise<WorkerLensApi> {
  const log = createLog();
  context.subscriptions.push(log);
  const secrets = new Secrets(context.secrets);
  // Stack-frame paths in log lines become links only when they are workspace files.
  const resolver = new LinkResolver(() => (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath));
  const manager = new ConnectionManager(secrets, log, (p) => resolver.resolve(p) !== undefined);
  // Worked out once per connection or settings change, not per row.
  let restartable = false;
  const drift = new CodeDrift(manager.fleet);
  const tree = new WorkerTreeProvider(manager.session, () => restartable, drift);
  const updateRestartable = () => {
    const now = canRestart(manager.active);
    if (now !== restartable) {
      restartable = now;
      tree.refreshAll();
    }
  };
  const view = vscode.window.createTreeView<TreeNode>('workerLens.workers', {
    treeDataProvider: tree,
    showCollapseAll: true,
    canSelectMany: true,
  });
  // The "Show more" rows of a large group (a tree item's own command: not in the palette).
  context.subscriptions.push(vscode.commands.registerCommand('workerLens.showMore', (n: TreeNode) => tree.showMore(n)));
  const statusBar = new FleetStatusBar(manager.fleet, () => manager.active?.name, drift);
  manager.session.transitions.setMinimumMs(settings.alertMinimumMs());
  const alerts = new AlertNotifier({
    session: manager.session,
    canRestart: () => restartable,
    reveal: (id) => tree.reveal(id),
    log,
  });
  context.subscriptions.push(drift, alerts);
  context.subscriptions.push(
    manager,
    tree,
    view,
    tree.attach(view),
    statusBar,
    manager.onDidChangeActive(() => {
      statusBar.render();
      updateRestartable();
    }),
  );

  // Created once at activation (chart data is collected by the session from activation on);
  // registers the serializer that restores an open dashboard after a reload.
  const dashboard = new DashboardPanel(context, {
    session: manager.session,
    log,
    resolver,
    activeConnection: () => manager.active,
    followActivity: (on) => manager.followActivity(on),
  });
  context.subscriptions.push(dashboard);

  registerCommands(context, { manager, secrets, log, dashboard });

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      // Everything a source is built from: reconnect with the new values.
      const sourceSettings = [
        'workerLens.connections',
        'workerLens.activeConnection',
        'workerLens.refreshIntervalSeconds',
        'workerLens.reconcileIntervalSeconds',
        'workerLens.redis.enableKeyspaceNotifications',
        'workerLens.defaultFolder',
      ];
      if (sourceSettings.some((s) => e.affectsConfiguration(s))) void manager.reload();
      else if (e.affectsConfiguration('workerLens.health')) manager.applyThresholds();
      if (e.affectsConfiguration('workerLens.groupBy') || e.affectsConfiguration('workerLens.subgroupBy'))
        tree.refreshAll();
      if (e.affectsConfiguration('workerLens.alerts.minimumSeconds'))
        manager.session.transitions.setMinimumMs(settings.alertMinimumMs());
      if (e.affectsConfiguration('workerLens')) updateRestartable();
    }),
    // A folder added to the workspace may bring the `.workers/` used when nothing is configured.
    vscode.workspace.onDidChangeWorkspaceFolders(() => {
      if (!settings.connections().connections.length) void manager.reload();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void manager.reload()),
    context.secrets.onDidChange((e) => {
      if (manager.active && e.key === `workerLens.secret.${manager.active.name}`) void manager.reload();
    }),
  );

  await manager.reload().catch((err) => log.error(`Starting failed: ${String(err)}`));
  return { manager, tree, statusBar, dashboard, alerts, drift, controlUi: setControlUi };
}

export function deactivate(): void {
  // Everything is in context.subscriptions and is disposed by VS Code.
}

/** Restart can work here: control configured without a mistake, and a store or a program to carry it out. */
function canRestart(conn: Parameters<typeof controlFor>[0]): boolean {
  const d = controlFor(conn);
  if ('refusal' in d) return false;
  return d.config.mode === 'command' ? Boolean(d.config.restart) : !storeModeProblem(d.connection.type);
}
