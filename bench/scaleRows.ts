import { startRedis } from '../test/harness/redisServer';
import { startRedisCluster } from '../test/harness/redisCluster';
import type { BenchRow } from './fleetBench';
import { benchScale } from './scaleBench';

/** The 100,000-worker rows on a fresh redis-server of their own, then on a real 3-primary + 3-replica cluster. */
export async function benchScaleAll(n: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const redis = await startRedis();
  try {
    const writer = redis.client();
    rows.push(
      ...(await benchScale({ label: 'redis', writer, nodes: [redis.client()], source: { url: redis.url } }, n)),
    );
  } finally {
    await redis.stop();
  }
  const cluster = await startRedisCluster();
  try {
    const nodes = cluster.nodes.map((node) => cluster.nodeClient(node.port));
    const writer = cluster.client();
    rows.push(
      ...(await benchScale({ label: 'cluster', writer, nodes, source: { url: cluster.url, cluster: true } }, n)),
    );
  } finally {
    await cluster.stop();
  }
  return rows;
}
