import { homedir } from 'node:os';
import type { ConnectionConfig } from '../core/connectionConfig';
import { parseControlConfig, type ControlConfig } from '../control/controlConfig';
import { controlHost } from './controlHost';

/**
 * Reads of the control settings: `workerLens.readOnly`, `workerLens.control.timeoutSeconds`
 * and the active connection's `control` block. Decides whether restart/scale may run at all.
 */

/**
 * True when restart/scale are off. Read-only wins from any scope: a workspace may turn
 * it on for its users, and no workspace (trusted or not) turns off a user's read-only.
 */
export function readOnly(): boolean {
  const i = controlHost().inspect<boolean>('readOnly');
  return i?.globalValue === true || i?.workspaceValue === true || i?.workspaceFolderValue === true;
}

/** The default wait, from user settings only while the workspace is untrusted. */
export function timeoutSeconds(): unknown {
  const host = controlHost();
  return host.isTrusted() ? host.get('control.timeoutSeconds') : host.inspect('control.timeoutSeconds')?.globalValue;
}

/** True when the workspace (not the user) defines connections, and with them their control blocks. */
export function controlFromWorkspace(): boolean {
  const i = controlHost().inspect<unknown[]>('connections');
  return i?.workspaceValue !== undefined || i?.workspaceFolderValue !== undefined;
}

export type ControlDecision = { config: ControlConfig; connection: ConnectionConfig } | { refusal: string };

/**
 * May this connection be controlled, and how. Every "no" is a sentence for the user:
 * read-only mode, an untrusted workspace that defines connections (a cloned repo must
 * not choose what runs on this machine), no connection, or a control block with a mistake.
 */
export function controlFor(conn: ConnectionConfig | undefined): ControlDecision {
  if (readOnly())
    return { refusal: 'Worker Lens is read-only (workerLens.readOnly): restarting and scaling workers is turned off.' };
  if (!controlHost().isTrusted() && controlFromWorkspace()) {
    return {
      refusal:
        'This workspace is not trusted and defines Worker Lens connections. Trust the workspace to restart or scale workers.',
    };
  }
  if (!conn) return { refusal: 'No worker connection is active.' };
  const name = conn.name;
  const parsed = parseControlConfig(
    (conn as { control?: unknown }).control,
    timeoutSeconds(),
    `connection "${name}" control`,
  );
  if (!parsed.config) return { refusal: parsed.error ?? 'The control settings are not valid.' };
  return { config: parsed.config, connection: conn };
}

/**
 * Where a command-mode program runs: the first workspace folder, so `./scripts/restart.sh`
 * works. Not in an untrusted workspace: a relative program from the user's settings must
 * not resolve to a file the cloned repository put there.
 */
export function commandCwd(): string {
  const host = controlHost();
  return (host.isTrusted() ? host.fileFolders()[0] : undefined) ?? homedir();
}
