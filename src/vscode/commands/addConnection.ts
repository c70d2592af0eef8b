import * as vscode from 'vscode';
import type { ConnectionConfig } from '../../core/connectionConfig';
import { SUPABASE_HEARTBEAT_TABLE } from '../../sources/supabase/supabasePreset';
import type { Secrets } from '../secrets';
import * as settings from '../settings';

/**
 * Asks for a connection step by step. The password or key is asked separately and
 * kept in the secret store; a password typed into the URL is moved there too.
 */
export async function addConnection(secrets: Secrets): Promise<void> {
  const type = await vscode.window.showQuickPick(
    [
      {
        label: 'Redis',
        description: 'orchestrator preset: worker:state:{id}, active_workers',
        value: 'redis' as const,
      },
      { label: 'Supabase', description: 'supabase-heartbeat preset: hp_worker_status', value: 'supabase' as const },
      { label: 'Heartbeat files', description: 'a folder of JSON heartbeat files', value: 'files' as const },
    ],
    { title: 'Add Connection (1/3): where do your workers report?' },
  );
  if (!type) return;
  const taken = settings.connectionNames();
  const name = await vscode.window.showInputBox({
    title: 'Add Connection (2/3): name',
    value: type.value === 'redis' ? 'redis' : type.value,
    validateInput: (v) =>
      !v.trim()
        ? 'A name is needed'
        : taken.has(v.trim())
          ? 'A connection with this name exists (its password or key: "Workers: Set Password or Key…")'
          : undefined,
  });
  if (!name) return;
  const conn: ConnectionConfig = { name: name.trim(), type: type.value };
  let secret: string | undefined;

  if (type.value === 'files') {
    const folder = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      title: 'Folder of heartbeat files',
    });
    if (!folder?.[0]) return;
    Object.assign(conn, { path: folder[0].fsPath, preset: 'heartbeat-files' });
  } else {
    const isRedis = type.value === 'redis';
    const steps = isRedis ? 3 : 4;
    const url = await vscode.window.showInputBox({
      title: `Add Connection (3/${steps}): URL`,
      value: isRedis ? 'redis://127.0.0.1:6379' : 'https://<project>.supabase.co',
      validateInput: (v) => validUrl(v, isRedis),
    });
    if (!url) return;
    const { clean, password } = splitPassword(url.trim());
    conn.url = clean;
    conn.preset = isRedis ? 'orchestrator' : 'supabase-heartbeat';
    if (!isRedis) {
      const table = await vscode.window.showInputBox({
        title: `Add Connection (4/${steps}): heartbeat table`,
        value: SUPABASE_HEARTBEAT_TABLE,
        prompt:
          'One row per worker, with seed 003\'s columns (worker_name, status, last_heartbeat…). Other column names: map them in "columns" in settings.',
        validateInput: (v) =>
          /^[A-Za-z_][A-Za-z0-9_$]*$/.test(v.trim()) ? undefined : 'A table name: letters, digits and _',
      });
      if (!table) return;
      // Only a table other than the preset's is written: settings stay as short as they can.
      if (table.trim() !== SUPABASE_HEARTBEAT_TABLE) conn.table = table.trim();
    }
    secret =
      password ??
      (await vscode.window.showInputBox({
        title: isRedis
          ? 'Redis password (leave empty for none)'
          : "Supabase key: the anon key to watch (a signed-in user's key to also restart and scale)",
        password: true,
        prompt: 'Kept in the OS secret store, never in settings.',
      }));
    if (secret === undefined) return;
  }
  // Set or cleared: a secret left from an earlier connection of this name must not be reused.
  if (secret) await secrets.set(conn.name, secret);
  else await secrets.delete(conn.name);
  const { hiddenByWorkspace } = await settings.addUserConnection(conn);
  if (hiddenByWorkspace) {
    void vscode.window.showWarningMessage(
      `Worker Lens: "${conn.name}" is saved in your user settings, but this workspace's settings define their own workerLens.connections, which take precedence here.`,
    );
  } else void vscode.window.showInformationMessage(`Worker Lens: watching "${conn.name}".`);
}

function validUrl(v: string, redis: boolean): string | undefined {
  try {
    const u = new URL(v.trim());
    if (redis && !/^rediss?:$/.test(u.protocol)) return 'Use redis://host:port or rediss://host:port';
    if (!redis && !/^https?:$/.test(u.protocol)) return 'Use https://<project>.supabase.co';
    return undefined;
  } catch {
    return 'Not a URL';
  }
}

/** Takes a password out of a URL so it never lands in settings. */
export function splitPassword(url: string): { clean: string; password?: string } {
  try {
    const u = new URL(url);
    if (!u.password) return { clean: url };
    let password = u.password;
    try {
      password = decodeURIComponent(u.password);
    } catch {
      // A "%" that is not an escape (50%off): the password as typed, still kept out of settings.
    }
    u.password = '';
    return { clean: u.toString().replace(/\/$/, ''), password };
  } catch {
    return { clean: url };
  }
}
