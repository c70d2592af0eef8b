import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { freePort } from './freePort';

/*
 * A STAND-IN for Supabase Realtime — not Realtime itself, which cannot run here.
 *
 * It speaks just enough of the Phoenix channel protocol (vsn 2.0.0: text frames holding
 * [join_ref, ref, topic, event, payload]) for supabase-js's realtime client to join a
 * `postgres_changes` channel, and lets a test script what the real server would send:
 * the `system` "Subscribed to PostgreSQL" message, change events, an error `system`
 * message (what Realtime sends when the table is not in the publication), and a
 * dropped socket. Everything else (heartbeats, access_token) is acknowledged.
 *
 * Mount it on a server that also serves /rest/v1 (the PostgREST gateway) with
 * `attach(server)`, or run it alone with `startRealtimeStandIn()`.
 */

type Frame = [string | null, string | null, string, string, Record<string, unknown>];

interface Joined {
  socket: WebSocket;
  topic: string;
  joinRef: string | null;
  bindings: { id: number; event: string; schema: string; table?: string; filter?: string }[];
}

export interface ChangeRecord {
  type: 'INSERT' | 'UPDATE' | 'DELETE';
  table: string;
  record?: Record<string, unknown>;
  old_record?: Record<string, unknown>;
}

export interface RealtimeStandIn {
  /** Channels joined so far that are still open (one per subscribing client). */
  readonly joined: readonly Joined[];
  /** What to do when a client joins: confirm with the system message, refuse with one, or stay silent. */
  onJoin: 'subscribe' | 'refuse' | 'silent';
  /** The message sent with `onJoin: 'refuse'`, as Realtime words it. */
  refusal: string;
  sendSystemOk(j?: Joined): void;
  sendSystemError(message: string, j?: Joined): void;
  sendChange(change: ChangeRecord): void;
  /** Drops every client socket without a close handshake, as a network failure does. */
  dropSockets(): void;
  attach(server: Server): void;
  close(): Promise<void>;
}

let nextBindingId = 1000;

export function createRealtimeStandIn(): RealtimeStandIn {
  const wss = new WebSocketServer({ noServer: true });
  const joined: Joined[] = [];

  const send = (socket: WebSocket, frame: Frame) =>
    socket.readyState === socket.OPEN && socket.send(JSON.stringify(frame));
  const systemOf = (j: Joined, status: 'ok' | 'error', message: string) =>
    send(j.socket, [
      j.joinRef,
      null,
      j.topic,
      'system',
      { status, message, extension: 'postgres_changes', channel: j.topic.replace(/^realtime:/, '') },
    ]);

  wss.on('connection', (socket) => {
    socket.on('message', (raw) => {
      let frame: Frame;
      try {
        frame = JSON.parse(String(raw)) as Frame;
      } catch {
        return;
      }
      const [joinRef, ref, topic, event, payload] = frame;
      const reply = (response: Record<string, unknown>, status = 'ok') =>
        send(socket, [joinRef, ref, topic, 'phx_reply', { status, response }]);
      if (event === 'phx_join') {
        const config = (payload.config ?? {}) as {
          postgres_changes?: { event: string; schema: string; table?: string; filter?: string }[];
        };
        const bindings = (config.postgres_changes ?? []).map((b) => ({ ...b, id: nextBindingId++ }));
        const j: Joined = { socket, topic, joinRef, bindings };
        joined.push(j);
        reply({ postgres_changes: bindings });
        if (standIn.onJoin === 'subscribe') setImmediate(() => systemOf(j, 'ok', 'Subscribed to PostgreSQL'));
        else if (standIn.onJoin === 'refuse') setImmediate(() => systemOf(j, 'error', standIn.refusal));
      } else if (event === 'phx_leave') {
        forget((j) => j.socket === socket && j.topic === topic);
        reply({});
      } else {
        reply({}); // heartbeat, access_token
      }
    });
    socket.on('close', () => forget((j) => j.socket === socket));
  });

  const forget = (match: (j: Joined) => boolean) => {
    for (let i = joined.length - 1; i >= 0; i--) if (match(joined[i])) joined.splice(i, 1);
  };

  const standIn: RealtimeStandIn = {
    joined,
    onJoin: 'subscribe',
    refusal:
      'Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [schema: public, table: hp_worker_status, filters: []]',
    sendSystemOk: (j) => (j ? [j] : joined).forEach((x) => systemOf(x, 'ok', 'Subscribed to PostgreSQL')),
    sendSystemError: (message, j) => (j ? [j] : joined).forEach((x) => systemOf(x, 'error', message)),
    sendChange(change) {
      const sample = change.record ?? change.old_record ?? {};
      const columns = Object.entries(sample).map(([name, v]) => ({
        name,
        type: typeof v === 'number' ? 'int8' : typeof v === 'object' && v !== null ? 'jsonb' : 'text',
      }));
      for (const j of joined) {
        const ids = j.bindings
          .filter(
            (b) => (b.table === undefined || b.table === change.table) && (b.event === '*' || b.event === change.type),
          )
          .map((b) => b.id);
        if (!ids.length) continue;
        send(j.socket, [
          j.joinRef,
          null,
          j.topic,
          'postgres_changes',
          {
            ids,
            data: {
              schema: 'public',
              table: change.table,
              commit_timestamp: new Date().toISOString(),
              type: change.type,
              columns,
              record: change.record ?? {},
              old_record: change.old_record ?? {},
              errors: null,
            },
          },
        ]);
      }
    },
    dropSockets() {
      for (const s of wss.clients) s.terminate();
    },
    attach(server) {
      server.on('upgrade', (req: IncomingMessage, sock: Duplex, head: Buffer) => {
        if (!req.url?.startsWith('/realtime/v1/websocket')) {
          sock.destroy();
          return;
        }
        wss.handleUpgrade(req, sock, head, (ws) => wss.emit('connection', ws, req));
      });
    },
    async close() {
      for (const s of wss.clients) s.terminate();
      await new Promise((r) => wss.close(r));
    },
  };
  return standIn;
}

/** The stand-in alone on a free loopback port; its URL is what a Supabase project URL is. */
export async function startRealtimeStandIn(): Promise<{
  url: string;
  standIn: RealtimeStandIn;
  stop(): Promise<void>;
}> {
  const standIn = createRealtimeStandIn();
  const server = createServer((_req, res) => res.writeHead(404).end());
  standIn.attach(server);
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${port}`,
    standIn,
    async stop() {
      await standIn.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
