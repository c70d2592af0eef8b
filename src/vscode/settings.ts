import { DEFAULT_MAX_LOG_LINES } from '../shared/protocol';
import { SUBGROUP_BY, type SubgroupBy } from '../core/treeGroups';
import * as vscode from 'vscode';
import { expandPath } from '../sources/files/glob';
import { effectiveThresholds, validateConnection, type ConnectionConfig } from '../core/connectionConfig';
import type { HealthThresholds } from '../core/model';
import { ALERT_SETTINGS, DEFAULT_ALERTS, type AlertSetting } from '../core/alertText';
import { expandExpected } from '../core/expectedWorkers';
import { SUPABASE_HEARTBEAT_THRESHOLDS } from '../sources/supabase/supabasePreset';

/** Thin typed reads of `workerLens.*`, so the rest never spells a setting name. */
export const SECTION = 'workerLens';

function cfg(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

export function pollMs(): number {
  const s = cfg().get<number>('refreshIntervalSeconds', 2);
  return Math.max(500, (Number.isFinite(s) ? s : 2) * 1000);
}

export function sourceSettings(): { pollMs: number; reconcileMs: number; enableKeyspaceNotifications: boolean } {
  const c = cfg();
  const reconcile = c.get<number>('reconcileIntervalSeconds', 15);
  // Changing server config is the user's call, made in their own settings, never a repo's.
  const enable = c.inspect<boolean>('redis.enableKeyspaceNotifications')?.globalValue === true;
  return {
    pollMs: pollMs(),
    reconcileMs: Math.max(1000, (Number.isFinite(reconcile) ? reconcile : 15) * 1000),
    enableKeyspaceNotifications: enable,
  };
}

/**
 * The folder of heartbeat files used when no connection is configured: the
 * `workerLens.defaultFolder` setting, else a `.workers/` folder in the workspace.
 * A workspace's `.workers/` is the workspace's own data, like a connection it defines:
 * in Restricted Mode it is not read (a cloned repository could ship any files there);
 * `untrustedWorkspaceFolders` names it so the view can say why.
 */
export function defaultFolderCandidates(): string[] {
  const configured = vscode.workspace.isTrusted
    ? cfg().get<string>('defaultFolder', '')
    : (cfg().inspect<string>('defaultFolder')?.globalValue ?? '');
  if (configured) return [expandPath(configured, workspaceBase())];
  return vscode.workspace.isTrusted ? workspaceWorkersFolders() : [];
}

/** The workspace's `.workers/` folders left unread because the workspace is not trusted. */
export function untrustedWorkspaceFolders(): string[] {
  return vscode.workspace.isTrusted ? [] : workspaceWorkersFolders();
}

function workspaceWorkersFolders(): string[] {
  return (vscode.workspace.workspaceFolders ?? [])
    .filter((f) => f.uri.scheme === 'file')
    .map((f) => vscode.Uri.joinPath(f.uri, '.workers').fsPath);
}

/**
 * What a relative `path` in settings is relative to: the first workspace folder (where a
 * workspace's settings.json lives), not the extension host's working directory.
 */
export function workspaceBase(): string | undefined {
  return vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath;
}

export function groupBy(): 'health' | 'none' {
  return cfg().get<string>('groupBy') === 'none' ? 'none' : 'health';
}

/** How a group of more than 200 workers is split into a second level (see core/treeGroups.ts). */
export function subgroupBy(): SubgroupBy {
  const v = cfg().get<string>('subgroupBy');
  return SUBGROUP_BY.find((s) => s === v) ?? 'auto';
}

export function thresholds(conn?: ConnectionConfig): HealthThresholds {
  const c = cfg();
  return effectiveThresholds(
    {
      unresponsiveAfterSeconds: c.get('health.unresponsiveAfterSeconds'),
      deadAfterSeconds: c.get('health.deadAfterSeconds'),
      slowTaskAfterMinutes: c.get('health.slowTaskAfterMinutes'),
      adaptive: c.get('health.adaptive'),
    },
    // A preset knows its workers' cadence (seed 003 beats every 30 s); the connection's own values win.
    {
      ...(conn?.preset === 'supabase-heartbeat' || (conn?.type === 'supabase' && !conn.preset)
        ? SUPABASE_HEARTBEAT_THRESHOLDS
        : {}),
      ...conn?.thresholds,
    },
  );
}

export interface ConnectionList {
  connections: ConnectionConfig[];
  /** Settings entries we could not use, in words. */
  errors: string[];
  /** True when some connection came from the workspace (needs trust to be used). */
  fromWorkspace: boolean;
}

/**
 * The connections the user configured. In an untrusted workspace only the user's own
 * settings count: a cloned repo must not point the extension at a store of its choosing.
 */
export function connections(): ConnectionList {
  const inspected = cfg().inspect<unknown[]>('connections');
  const trusted = vscode.workspace.isTrusted;
  const fromWorkspace = Boolean(inspected?.workspaceValue || inspected?.workspaceFolderValue);
  const raw = trusted ? cfg().get<unknown[]>('connections', []) : (inspected?.globalValue ?? []);
  const list: ConnectionConfig[] = [];
  const errors: string[] = [];
  (Array.isArray(raw) ? raw : []).forEach((r, i) => {
    const v = validateConnection(r, i);
    if (v.config) list.push(v.config);
    else if (v.error) errors.push(v.error);
  });
  if (!trusted && fromWorkspace)
    errors.push('Connections defined by this workspace are ignored until you trust it (Restricted Mode).');
  return { connections: list, errors, fromWorkspace };
}

export function activeConnectionName(): string {
  const c = cfg();
  if (!vscode.workspace.isTrusted) return c.inspect<string>('activeConnection')?.globalValue ?? '';
  return c.get<string>('activeConnection', '');
}

/** Every connection name in use: the user's own entries as written (valid or not) and the effective list. */
export function connectionNames(): Set<string> {
  const user = cfg().inspect<unknown[]>('connections')?.globalValue;
  const names = new Set(connections().connections.map((c) => c.name));
  for (const r of Array.isArray(user) ? user : [])
    if (r && typeof (r as { name?: unknown }).name === 'string') names.add((r as { name: string }).name.trim());
  return names;
}

/**
 * Appends to the user's own list, as written: connections added from the UI belong to the
 * user, not the repo, and an entry with a typo in it is the user's to fix, not ours to drop.
 * Says whether this workspace's own list hides the user's (it wins while trusted).
 */
export async function addUserConnection(conn: ConnectionConfig): Promise<{ hiddenByWorkspace: boolean }> {
  const inspected = cfg().inspect<unknown[]>('connections');
  const user = Array.isArray(inspected?.globalValue) ? inspected.globalValue : [];
  await cfg().update('connections', [...user, conn], vscode.ConfigurationTarget.Global);
  await setActiveConnection(conn.name);
  return {
    hiddenByWorkspace:
      vscode.workspace.isTrusted && Boolean(inspected?.workspaceValue || inspected?.workspaceFolderValue),
  };
}

/** Written where it takes effect: a trusted workspace that sets its own would otherwise ignore the pick. */
export async function setActiveConnection(name: string): Promise<void> {
  const own = cfg().inspect<string>('activeConnection')?.workspaceValue;
  const target =
    vscode.workspace.isTrusted && own !== undefined
      ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
  await cfg().update('activeConnection', name, target);
}

/** `workerLens.logs.maxLines`: lines the logs panel keeps (100 to 1,000,000). */
export function logMaxLines(): number {
  const n = vscode.workspace.getConfiguration('workerLens').get<number>('logs.maxLines', DEFAULT_MAX_LOG_LINES);
  return Number.isFinite(n) && n >= 100 ? Math.min(Math.floor(n), 1_000_000) : DEFAULT_MAX_LOG_LINES;
}

/** `workerLens.alerts.on`: which transitions notify (unknown names are ignored, not an error). */
export function alertsOn(): Set<AlertSetting> {
  const raw = cfg().get<unknown>('alerts.on', DEFAULT_ALERTS);
  const list = Array.isArray(raw) ? raw : DEFAULT_ALERTS;
  return new Set(list.filter((x): x is AlertSetting => (ALERT_SETTINGS as readonly unknown[]).includes(x)));
}

/** `workerLens.alerts.minimumSeconds`: how long a new state must last before it alerts. */
export function alertMinimumMs(): number {
  const s = cfg().get<number>('alerts.minimumSeconds', 10);
  return Number.isFinite(s) && s >= 0 ? s * 1000 : 10_000;
}

/** The active connection's expected worker names (validated with the connection, so no error here). */
export function expectedWorkers(conn?: ConnectionConfig): string[] {
  return (conn && expandExpected(conn.expectedWorkers).names) || [];
}
