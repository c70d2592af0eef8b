import * as vscode from 'vscode';
import type { ConnectionManager } from '../connectionManager';
import type { Secrets } from '../secrets';
import * as settings from '../settings';

/**
 * Sets (or clears) the password or key of a connection already in settings: the way out
 * of "rejected the password" after a rotation, without re-adding the connection and
 * losing its key layout and control settings. Kept in the OS secret store only.
 */
export async function setSecret(manager: ConnectionManager, secrets: Secrets): Promise<void> {
  const withSecrets = settings.connections().connections.filter((c) => c.type !== 'files');
  if (!withSecrets.length) {
    void vscode.window.showInformationMessage('Worker Lens: no Redis or Supabase connection is configured.');
    return;
  }
  const active = manager.active?.name;
  const picked =
    withSecrets.length === 1
      ? { label: withSecrets[0].name, conn: withSecrets[0] }
      : await vscode.window.showQuickPick(
          // The active connection first: it is the one whose password was just refused.
          [...withSecrets]
            .sort((a, b) => Number(b.name === active) - Number(a.name === active))
            .map((c) => ({ label: c.name, description: c.type, conn: c })),
          { title: 'Set Password or Key: which connection?' },
        );
  if (!picked) return;
  const { conn } = picked;
  const secret = await vscode.window.showInputBox({
    title: `${conn.type === 'redis' ? 'Redis password' : 'Supabase key'} for "${conn.name}"`,
    prompt: `Kept in the OS secret store, never in settings. Leave empty to remove it.${conn.secretEnv ? ` (${conn.secretEnv}, when set, is used first.)` : ''}`,
    password: true,
  });
  if (secret === undefined) return;
  // The secret store's change event reloads the active connection (extension.ts).
  if (secret) await secrets.set(conn.name, secret);
  else await secrets.delete(conn.name);
  void vscode.window.showInformationMessage(
    `Worker Lens: ${secret ? 'saved' : 'removed'} the ${conn.type === 'redis' ? 'password' : 'key'} of "${conn.name}".`,
  );
}
