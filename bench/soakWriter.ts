/*
 * The soak's writer, in its own process so its work is not counted in the observer's
 * figures: `node --import tsx bench/soakWriter.ts URL WORKERS RATE`. Writes the
 * simulated fleet once, then RATE changes per second (in 100 ms batches, round robin):
 * each a real state change of one worker — task started, finished or failed, with its
 * heartbeat and stream entries — as the orchestrator preset stores them.
 */
import { Redis } from 'ioredis';
import { RedisFleetWriter } from '../src/companion/fleetWriters';
import { SimFleet } from '../src/companion/simFleet';

async function main(): Promise<void> {
  const [url, workersArg, rateArg] = process.argv.slice(2);
  const workers = Number(workersArg);
  const rate = Number(rateArg);
  const client = new Redis(url!, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined); // the observer reports the store; this writer just goes on
  const writer = new RedisFleetWriter(client);
  const fleet = new SimFleet({ workers, seed: 7 });
  await writer.write(fleet.workers, []);
  const perTick = rate / 10;
  let next = 0;
  let owed = 0;
  const started = Date.now();
  for (let tick = 1; ; tick++) {
    const due = started + tick * 100;
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
    const now = Date.now();
    owed += perTick;
    const touched = [];
    const events = [];
    for (; owed >= 1; owed--, next = (next + 1) % workers) {
      const w = fleet.workers[next]!;
      events.push(...fleet.touch(next, now));
      w.lastBeat = now;
      touched.push(w);
    }
    await writer.write(touched, events).catch(() => undefined);
  }
}

void main();
