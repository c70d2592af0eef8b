import { connect, createServer, type Socket } from 'node:net';
import { freePort } from './freePort';

/**
 * Fault-injection harness (test infrastructure only): a loopback TCP proxy between
 * a client and a server (Redis, PostgREST, …) that misbehaves on command, the way
 * networks and hosts do in production.
 *
 * - `stall()`: connections stay open, nothing gets through either way (a hung host,
 *   a black-holed route); `resume()` delivers what was held back, in order.
 * - `slow(ms)`: every chunk is held `ms` before it is passed on (a congested link).
 * - `drop()`: every connection is closed and new ones are closed as soon as they
 *   arrive (the far side went away); `resume()` lets them through again.
 * - `reset()`: every open connection is torn down with a TCP RST (ECONNRESET at the
 *   client), new ones are let through.
 */
export interface FaultProxy {
  port: number;
  /** `scheme://127.0.0.1:port` of the proxy: give this to the code under test. */
  url: string;
  stall(): void;
  slow(ms: number): void;
  drop(): void;
  reset(): void;
  /** Back to passing everything through at once (releases a stall, ends a drop, no delay). */
  resume(): void;
  /** Connections open right now (client side). */
  readonly connections: number;
  stop(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

export async function startFaultProxy(target: { host?: string; port: number }, scheme = 'redis'): Promise<FaultProxy> {
  const port = await freePort();
  const pairs = new Set<Pair>();
  let slowMs = 0;
  let dropping = false;
  let stalled = false;
  let released: (() => void)[] = [];
  const flowing = (): Promise<void> | undefined => (stalled ? new Promise((r) => released.push(r)) : undefined);

  /** Passes chunks from one side to the other, in order, through the current faults. */
  const pump = (from: Socket, to: Socket) => {
    let chain: Promise<void> = Promise.resolve();
    from.on('data', (chunk) => {
      chain = chain.then(async () => {
        if (slowMs) await new Promise((r) => setTimeout(r, slowMs));
        await flowing();
        if (!to.destroyed) to.write(chunk);
      });
    });
    from.on('end', () => void chain.then(() => to.end()));
  };

  const server = createServer((client) => {
    if (dropping) return void client.destroy();
    const upstream = connect(target.port, target.host ?? '127.0.0.1');
    const pair = { client, upstream };
    pairs.add(pair);
    const close = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    pump(client, upstream);
    pump(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));

  const release = () => {
    stalled = false;
    const waiting = released;
    released = [];
    for (const r of waiting) r();
  };

  return {
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    stall() {
      stalled = true;
    },
    slow(ms) {
      slowMs = ms;
    },
    drop() {
      dropping = true;
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
    },
    reset() {
      for (const p of pairs) {
        p.client.resetAndDestroy();
        p.upstream.destroy();
      }
    },
    resume() {
      dropping = false;
      slowMs = 0;
      release();
    },
    get connections() {
      return pairs.size;
    },
    async stop() {
      release();
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
