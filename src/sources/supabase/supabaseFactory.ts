import type { SourceFactory } from '../sourceFactory';
import { SupabaseSource } from './supabaseSource';

/** A Supabase heartbeat table (seed 003's unless `table`/`columns` say otherwise), and its `logTable`. */
export const supabaseSourceFor: SourceFactory = (conn, secret, settings) => {
  if (!secret) {
    const where = conn.secretEnv ? ` or set ${conn.secretEnv}` : ' or name an environment variable in "secretEnv"';
    return `Connection "${conn.name}": no Supabase key. Add it with "Workers: Set Password or Key…"${where}.`;
  }
  return new SupabaseSource({
    url: conn.url!,
    key: secret,
    table: conn.table,
    columns: conn.columns ?? conn.fields,
    pollMs: settings.pollMs,
    reconcileMs: settings.reconcileMs,
    realtime: conn.push !== 'off',
    logTable: conn.logTable,
  });
};
