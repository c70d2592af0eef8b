import * as vscode from 'vscode';
import { redactUrl } from '../../core/connectionConfig';
import type { ConnectionManager } from '../connectionManager';
import * as settings from '../settings';

/** Picks which configured connection the view shows. */
export async function selectConnection(manager: ConnectionManager): Promise<void> {
  const { connections, errors } = settings.connections();
  if (connections.length === 0) {
    const add = 'Add Connection…';
    const choice = await vscode.window.showInformationMessage(errors[0] ?? 'No connections are configured yet.', add);
    if (choice === add) await vscode.commands.executeCommand('workerLens.addConnection');
    return;
  }
  const picked = await vscode.window.showQuickPick(
    connections.map((c) => ({
      label: c.name,
      description: c.type,
      detail: c.url ? redactUrl(c.url) : c.path,
      picked: c.name === manager.active?.name,
    })),
    {
      title: 'Worker Lens: show which workers?',
      placeHolder: manager.active ? `Now showing ${manager.active.name}` : undefined,
    },
  );
  if (picked) await settings.setActiveConnection(picked.label);
}
