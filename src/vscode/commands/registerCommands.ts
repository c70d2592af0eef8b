import * as vscode from 'vscode';
import type { ConnectionManager } from '../connectionManager';
import type { DashboardPanel } from '../dashboard/dashboardPanel';
import type { TreeNode } from '../workerTree';
import type { Secrets } from '../secrets';
import { addConnection } from './addConnection';
import { Commands } from './commandIds';
import { refresh } from './refresh';
import { restartUnhealthy } from './restartUnhealthy';
import { restartWorker } from './restartWorker';
import { quietWorker } from './quietWorker';
import { scaleWorkers } from './scaleWorkers';
import { stopJob } from './stopJob';
import { selectConnection } from './selectConnection';
import { setSecret } from './setSecret';

/** One place that registers every command; each command lives in its own file. */
export function registerCommands(
  context: vscode.ExtensionContext,
  deps: { manager: ConnectionManager; secrets: Secrets; log: vscode.LogOutputChannel; dashboard: DashboardPanel },
): void {
  const guard =
    <A extends unknown[]>(name: string, fn: (...args: A) => Promise<void> | void) =>
    async (...args: A) => {
      try {
        await fn(...args);
      } catch (err) {
        // Never throw into the extension host: say what went wrong instead.
        deps.log.error(`${name} failed: ${String(err)}`);
        void vscode.window.showErrorMessage(
          `Worker Lens: ${name} failed: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    };
  const control = { manager: deps.manager, secrets: deps.secrets, log: deps.log };
  context.subscriptions.push(
    vscode.commands.registerCommand(
      Commands.restartWorker,
      guard('Restart Worker', (n?: TreeNode, ns?: TreeNode[]) => restartWorker(control, n, ns)),
    ),
    vscode.commands.registerCommand(
      Commands.quietWorker,
      guard('Quiet Worker', (n?: TreeNode, ns?: TreeNode[]) => quietWorker(control, n, ns)),
    ),
    vscode.commands.registerCommand(
      Commands.stopJob,
      guard('Stop Job', (n?: TreeNode, ns?: TreeNode[]) => stopJob(control, n, ns)),
    ),
    vscode.commands.registerCommand(
      Commands.restartUnhealthy,
      guard('Restart Unhealthy Workers', () => restartUnhealthy(control)),
    ),
    vscode.commands.registerCommand(
      Commands.scaleWorkers,
      guard('Scale Workers', () => scaleWorkers(control)),
    ),
    vscode.commands.registerCommand(
      Commands.refresh,
      guard('Refresh', () => refresh(deps.manager)),
    ),
    vscode.commands.registerCommand(
      Commands.addConnection,
      guard('Add Connection', () => addConnection(deps.secrets)),
    ),
    vscode.commands.registerCommand(
      Commands.selectConnection,
      guard('Select Connection', () => selectConnection(deps.manager)),
    ),
    vscode.commands.registerCommand(
      Commands.setSecret,
      guard('Set Password or Key', () => setSecret(deps.manager, deps.secrets)),
    ),
    vscode.commands.registerCommand(
      Commands.openDashboard,
      guard('Open Dashboard', (n?: TreeNode) => deps.dashboard.open(workerOf(n))),
    ),
    vscode.commands.registerCommand(
      Commands.showLogs,
      guard('Show Logs', (n?: TreeNode) => deps.dashboard.showLogs(workerOf(n))),
    ),
    vscode.commands.registerCommand(
      Commands.exportMetrics,
      guard('Export Metrics', () => deps.dashboard.exportMetrics()),
    ),
  );
}

/** The worker a tree command was invoked on, if any (palette invocations pass nothing). */
function workerOf(node?: TreeNode): string | undefined {
  return node?.kind === 'worker' ? node.id : node?.kind === 'detail' ? node.workerId : undefined;
}
