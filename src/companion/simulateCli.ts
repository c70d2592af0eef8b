import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { checkRedisUrl, redactUrl } from '../core/connectionConfig';
import { FilesFleetWriter, RedisFleetWriter, type FleetWriter } from './fleetWriters';
import { runSimulator } from './simulator';

/*
 * npm run simulate -- --workers N (--redis URL | --folder PATH) [--rate R] [--duration S] [--seed K]
 * Writes a simulated fleet in the orchestrator preset's format (Redis) or as seed 004's
 * heartbeat files (folder). --rate is the heartbeats per second per worker (default 0.5).
 */
const USAGE =
  'Usage: npm run simulate -- --workers N (--redis URL | --folder PATH) [--rate R] [--duration S] [--seed K]';

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        workers: { type: 'string', default: '8' },
        redis: { type: 'string' },
        folder: { type: 'string' },
        rate: { type: 'string', default: '0.5' },
        duration: { type: 'string' },
        seed: { type: 'string', default: '1' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const workers = Number(values.workers);
  const rate = Number(values.rate);
  if (!Number.isInteger(workers) || workers < 1 || !(rate > 0) || (!values.redis && !values.folder)) {
    console.error(USAGE);
    return 2;
  }
  const urlProblem = values.redis ? checkRedisUrl(values.redis) : undefined;
  if (urlProblem) {
    console.error(`simulate: --redis: ${urlProblem}`);
    return 2;
  }
  let writer: FleetWriter;
  let client: Redis | undefined;
  if (values.redis) {
    client = new Redis(values.redis, { maxRetriesPerRequest: 1 });
    client.on('error', (e) => console.error(`simulate: Redis: ${e.message}`));
    writer = new RedisFleetWriter(client);
  } else {
    writer = new FilesFleetWriter(resolve(values.folder!));
  }
  const durationMs = values.duration ? Number(values.duration) * 1000 : undefined;
  const sim = runSimulator({ workers, seed: Number(values.seed), writer, beatMs: 1000 / rate, durationMs });
  // The URL may hold a password: printed masked.
  console.log(
    `simulate: ${workers} workers → ${values.redis ? redactUrl(values.redis) : resolve(values.folder!)}${durationMs ? ` for ${values.duration}s` : ' (Ctrl-C to stop)'}`,
  );
  const stop = () => void sim.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await sim.done;
  client?.disconnect();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`simulate: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
