import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { freePort, waitFor } from './freePort';

export interface RedisServer {
  port: number;
  url: string;
  /** A plain client for the test to write fixtures with. */
  client(): Redis;
  /** Kills the server (SIGKILL, like a crash) but keeps the port so restart() comes back at the same address. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  /**
   * Sends a signal to the server process: SIGSTOP hangs it (connections stay open, nothing answers), SIGCONT resumes
   * it.
   */
  signal(sig: NodeJS.Signals): void;
  stop(): Promise<void>;
}

/** Finds redis-server, installing Debian's package when we are root; otherwise says how to get it. */
export function ensureRedisServer(): string {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  if (process.getuid?.() === 0) {
    spawnSync(
      'sh',
      ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server'],
      { stdio: 'inherit' },
    );
    const again = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
    if (again) return again;
  }
  throw new Error(
    'redis-server is not installed. Install it with: sudo apt-get install -y redis-server (Debian/Ubuntu) or brew install redis (macOS).',
  );
}

/**
 * Starts a real redis-server on a free loopback port, no persistence, in a temp dir.
 * `args` are extra config directives, e.g. ['--notify-keyspace-events', 'Kh$'].
 */
export async function startRedis(args: string[] = []): Promise<RedisServer> {
  const bin = ensureRedisServer();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'wl-redis-'));
  const clients: Redis[] = [];
  let proc: ChildProcess | undefined;

  const launch = async () => {
    proc = spawn(
      bin,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...args],
      {
        stdio: 'ignore',
      },
    );
    // A raw PING: any reply (+PONG, or -NOAUTH from a server with --requirepass) means it is up.
    await waitFor(() => pingAnswers(port), { timeoutMs: 10_000, message: `redis-server on port ${port}` });
  };
  const kill = async () => {
    const p = proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL'); // also ends a server left stopped (SIGSTOP) by a test
    await exited;
  };
  await launch();

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    client() {
      const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    kill,
    restart: launch,
    signal(sig) {
      proc?.kill(sig);
    },
    async stop() {
      for (const c of clients) c.disconnect();
      await kill();
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function pingAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => done(/^[+-]/.test(d.toString())));
  });
}
