import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { freePort, waitFor } from './freePort';
import { ensureRedisServer } from './redisServer';

const run = promisify(execFile);

export interface ClusterNode {
  port: number;
  url: string;
  /** Running until killPrimary() killed it. */
  alive: boolean;
}

export interface RedisCluster {
  nodes: ClusterNode[];
  /** A seed URL (the first node's); any node would do. */
  url: string;
  /** A Cluster client for the test to write fixtures with (routed by slot, like a user's app). */
  client(): Cluster;
  /** A plain client to one node (CONFIG SET, CLUSTER INFO). */
  nodeClient(port: number): Redis;
  /** The ports of the nodes that are primaries right now, as the cluster says. */
  primaries(): Promise<number[]>;
  /**
   * SIGKILLs the primary serving `key`'s slot (like a crash); its replica is promoted after
   * cluster-node-timeout. Resolves with the killed port once the cluster says it is ok again.
   */
  killPrimary(key: string): Promise<number>;
  /**
   * SIGKILLs the primary serving `key`'s slot and every replica of it, so its slots have no node
   * left (cluster_state:fail). Resolves with the killed ports once a surviving node says fail.
   */
  killShard(key: string): Promise<number[]>;
  stop(): Promise<void>;
}

/**
 * A real 3-primary + 3-replica Redis Cluster on loopback, built by `redis-cli --cluster create`,
 * with a 1 s node timeout so a killed primary's replica takes over within a few seconds.
 */
export async function startRedisCluster(): Promise<RedisCluster> {
  const bin = ensureRedisServer();
  const dir = mkdtempSync(join(tmpdir(), 'wl-cluster-'));
  const procs = new Map<number, ChildProcess>();
  const nodes: ClusterNode[] = [];
  const clients: (Redis | Cluster)[] = [];
  const stop = async () => {
    for (const c of clients) c.disconnect();
    await Promise.all([...procs.keys()].map((port) => kill(procs, port)));
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 6; i++) {
      const port = await freePort();
      // prettier-ignore
      const args = [
        '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
        '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout', '1000', '--appendonly', 'no', '--save', '',
      ];
      procs.set(port, spawn(bin, args, { stdio: 'ignore' }));
      nodes.push({ port, url: `redis://127.0.0.1:${port}`, alive: true });
    }
    const probe = (port: number) => {
      const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, lazyConnect: true });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    };
    const probes = new Map(nodes.map((n) => [n.port, probe(n.port)]));
    await waitFor(async () => (await Promise.all([...probes.values()].map((c) => c.ping()))).length === 6, {
      timeoutMs: 10_000,
      message: 'six redis-server cluster nodes answering PING',
    });
    await run('redis-cli', [
      '--cluster',
      'create',
      ...nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ]).catch((err: Error & { stdout?: string }) => {
      throw new Error(`redis-cli --cluster create failed: ${err.message}\n${err.stdout ?? ''}`);
    });
    const allOk = async () => {
      for (const n of nodes) if (n.alive && !(await clusterOk(probes.get(n.port)!))) return false;
      return true;
    };
    await waitFor(allOk, { timeoutMs: 30_000, intervalMs: 100, message: 'cluster_state:ok on all six nodes' });
    // A replica that never finished its first sync refuses to take over (its data is "too old"):
    // the cluster is ready for a failover test only once every replica's link is up.
    const replicasSynced = async () => {
      for (const c of probes.values()) {
        const info = (await c.call('INFO', 'replication')) as string;
        if (/role:slave/.test(info) && !/master_link_status:up/.test(info)) return false;
      }
      return true;
    };
    await waitFor(replicasSynced, { timeoutMs: 30_000, intervalMs: 100, message: 'every replica synced' });

    const primaries = async () => {
      const live = nodes.find((n) => n.alive)!;
      const slots = (await probes.get(live.port)!.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      return [...new Set(slots.map((s) => Number(s[2][1])))].sort((a, b) => a - b);
    };
    return {
      nodes,
      url: nodes[0].url,
      client() {
        const c = new Cluster([{ host: '127.0.0.1', port: nodes[0].port }], {
          redisOptions: { maxRetriesPerRequest: 1 },
        });
        c.on('error', () => undefined);
        clients.push(c);
        return c;
      },
      nodeClient: probe,
      primaries,
      async killPrimary(key: string) {
        const live = nodes.find((n) => n.alive)!;
        const slot = Number(await probes.get(live.port)!.call('CLUSTER', 'KEYSLOT', key));
        const slots = (await probes.get(live.port)!.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
        const port = Number(slots.find(([from, to]) => slot >= from && slot <= to)![2][1]);
        await kill(procs, port);
        nodes.find((n) => n.port === port)!.alive = false;
        await waitFor(async () => !(await primaries()).includes(port) && (await allOk()), {
          timeoutMs: 30_000,
          intervalMs: 100,
          message: `a replica promoted in place of the killed primary ${port}`,
        });
        return port;
      },
      async killShard(key: string) {
        const live = nodes.find((n) => n.alive)!;
        const admin = probes.get(live.port)!;
        const slot = Number(await admin.call('CLUSTER', 'KEYSLOT', key));
        const slots = (await admin.call('CLUSTER', 'SLOTS')) as [number, number, ...[string, number][]][];
        // CLUSTER SLOTS lists the primary, then its replicas, for each range.
        const [, , ...servers] = slots.find(([from, to]) => slot >= from && slot <= to)!;
        const ports = servers.map(([, port]) => Number(port));
        for (const port of ports) {
          await kill(procs, port);
          nodes.find((n) => n.port === port)!.alive = false;
        }
        const survivor = probes.get(nodes.find((n) => n.alive)!.port)!;
        await waitFor(async () => /cluster_state:fail/.test((await survivor.call('CLUSTER', 'INFO')) as string), {
          timeoutMs: 30_000,
          intervalMs: 100,
          message: `cluster_state:fail once ${ports.join(' and ')} are gone`,
        });
        return ports;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function clusterOk(c: Redis): Promise<boolean> {
  const info = (await c.call('CLUSTER', 'INFO').catch(() => '')) as string;
  return /cluster_state:ok/.test(info);
}

async function kill(procs: Map<number, ChildProcess>, port: number): Promise<void> {
  const p = procs.get(port);
  procs.delete(port);
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await exited;
}
