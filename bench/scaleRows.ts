import { startRedis } from '../test/harness/redisServer';
import type { BenchRow } from './fleetBench';
import { benchScale } from './scaleBench';

/** The 100,000-worker rows on a fresh redis-server of their own. */
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
  return rows;
}
