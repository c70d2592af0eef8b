import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';

/**
 * supabase-js as Worker Lens uses it everywhere (source, requester, supervisor): no
 * session to persist or refresh (a key, not a login), and `ws` as Realtime's transport
 * because Node 20 — VS Code's extension host — has no global WebSocket (supabase-js
 * refuses to construct a client without one, even for REST only).
 */
export function createSupabaseClient(url: string, key: string): SupabaseClient {
  return createClient(url, key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: WebSocket as never },
  });
}
