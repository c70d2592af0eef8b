import * as vscode from 'vscode';
import type { ConnectionManager } from '../connectionManager';

/** Reads the whole fleet now; also the "Retry" of the error row. */
export async function refresh(manager: ConnectionManager): Promise<void> {
  await vscode.window.withProgress({ location: { viewId: 'workerLens.workers' } }, () => manager.refresh());
}
