import * as vscode from 'vscode';

/** The "Worker Lens" log channel. Created first so everything after can report. Never given secrets. */
export function createLog(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel('Worker Lens', { log: true });
}
