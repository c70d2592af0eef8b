import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort, waitFor } from './freePort';
import { once } from './once';

/*
 * A real PostgreSQL from Debian's packages, in a temp dir on a free loopback port, for
 * the tests. As root (CI here) it runs as the `postgres` system user, which initdb needs.
 */

export interface Postgres {
  port: number;
  /** Superuser connection string. */
  url: string;
  query(sql: string): Promise<void>;
  /** Fast shutdown, then the same data directory on the same port again (a database restart). */
  restart(opts?: { whileDown?: () => Promise<void> }): Promise<void>;
  stop(): Promise<void>;
}

function pgBin(): string {
  const base = '/usr/lib/postgresql';
  const find = () =>
    existsSync(base)
      ? readdirSync(base)
          .sort()
          .reverse()
          .map((v) => join(base, v, 'bin'))
          .find((d) => existsSync(join(d, 'initdb')))
      : undefined;
  let dir = find();
  if (!dir && process.getuid?.() === 0) {
    spawnSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql'], {
      stdio: 'inherit',
    });
    dir = find();
  }
  if (!dir)
    throw new Error('PostgreSQL server binaries are missing. Install them with: sudo apt-get install -y postgresql');
  return dir;
}

export async function startPostgres(): Promise<Postgres> {
  const bin = pgBin();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'wl-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  let uid: number | undefined;
  let gid: number | undefined;
  if (asRoot) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    if (id.status !== 0)
      throw new Error('Running as root needs the `postgres` system user (apt-get install -y postgresql creates it).');
    uid = Number(id.stdout.trim());
    gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync'], {
    uid,
    gid,
    encoding: 'utf8',
  });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  let proc!: ChildProcess;
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const launch = () =>
    waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`postgres exited with ${proc.exitCode}`);
        const c = new Client({ connectionString: url });
        try {
          await c.connect();
          return true;
        } catch {
          return false;
        } finally {
          await c.end().catch(() => undefined);
        }
      },
      { timeoutMs: 30_000, message: `PostgreSQL on port ${port}` },
    );
  const spawnServer = () => {
    proc = spawn(
      join(bin, 'postgres'),
      ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-c', 'fsync=off', '-c', 'wal_level=logical'],
      { uid, gid, stdio: 'ignore' },
    );
  };
  const halt = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGINT'); // fast shutdown
    await exited;
  };
  spawnServer();
  await launch();

  return {
    port,
    url,
    async query(sql) {
      const c = new Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(sql);
      } finally {
        await c.end();
      }
    },
    async restart(opts = {}) {
      await halt();
      await opts.whileDown?.();
      spawnServer();
      await launch();
    },
    stop: once(async () => {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    }),
  };
}
