/** A PostgREST / network failure in words a user can act on. Never includes the key. */
export function describeSupabaseError(
  err: { code?: string; message?: string; status?: number } | null | undefined,
  table: string,
  where: string,
): string {
  const code = err?.code ?? '';
  const msg = err?.message ?? String(err);
  if (code === 'PGRST301' || code === 'PGRST302' || err?.status === 401 || /JWT|JWS|invalid signature/i.test(msg)) {
    return `Supabase at ${where} rejected the key (${code || '401'}). Set the service or anon key again with "Workers: Set Password or Key…" or the connection's secretEnv.`;
  }
  if (code === '42501' || err?.status === 403)
    return `The key may not read ${table} at ${where} (${code || '403'}): add a select policy for its role (see sql/supabase-setup.sql).`;
  // Before the table check: PostgREST words a missing column "… does not exist" too.
  if (code === '42703' || /column .* does not exist/i.test(msg))
    return `A mapped column is missing in ${table}: ${msg}. Check the connection's "columns".`;
  if (code === '42P01' || code === 'PGRST205' || /does not exist|Could not find the table/i.test(msg)) {
    return `The table ${table} does not exist at ${where} (${code}). Create it with sql/supabase-setup.sql, or set the connection's "table".`;
  }
  if (/fetch failed|ECONNREFUSED|ENOTFOUND|network|socket/i.test(msg))
    return `Cannot reach Supabase at ${where}: ${msg}`;
  // A gateway's 502/503/504 comes with an empty body: the status is all there is to say.
  if (err?.status !== undefined && err.status >= 500) {
    return `Supabase at ${where} is not answering (HTTP ${err.status}${msg.trim() ? `: ${msg.trim()}` : ''}): its API is restarting, paused or down`;
  }
  return `Supabase error at ${where}: ${msg.trim() || 'no details given'}${code ? ` (${code})` : ''}`;
}

/** The project's host for messages: never the key, never a path. */
export function supabaseHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
