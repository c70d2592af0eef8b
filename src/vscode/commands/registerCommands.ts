import * as vscode from 'vscode';
import type { ConnectionManager } from '../connectionManager';
import type { Secrets } from '../secrets';
import { addConnection } from './addConnection';
import { Commands } from './commandIds';
import { refresh } from './refresh';
import { selectConnection } from './selectConnection';

/** One place that registers every command; each command lives in its own file. */
export function registerCommands(context: vscode.ExtensionContext, deps: { manager: ConnectionManager; secrets: Secrets; log: vscode.LogOutputChannel }): void {
  const guard = (name: string, fn: () => Promise<void>) => async () => {
    try {
      await fn();
    } catch (err) {
      // Never throw into the extension host: say what went wrong instead.
      deps.log.error(`${name} failed: ${String(err)}`);
      void vscode.window.showErrorMessage(`Worker Lens: ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  context.subscriptions.push(
    vscode.commands.registerCommand(Commands.refresh, guard('Refresh', () => refresh(deps.manager))),
    vscode.commands.registerCommand(Commands.addConnection, guard('Add Connection', () => addConnection(deps.secrets))),
    vscode.commands.registerCommand(Commands.selectConnection, guard('Select Connection', () => selectConnection(deps.manager))),
  );
}
