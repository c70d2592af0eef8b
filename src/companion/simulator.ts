import type { FleetWriter } from './fleetWriters';
import { SimFleet, type SimOptions } from './simFleet';

export interface SimulatorOptions extends SimOptions {
  writer: FleetWriter;
  /** Each live worker heartbeats this often. */
  beatMs?: number;
  /** Story resolution: how often the loop wakes. */
  tickMs?: number;
  /** Stop after this long (ms); default: until stop(). */
  durationMs?: number;
}

export interface RunningSimulator {
  fleet: SimFleet;
  /** Resolves when the simulation ends (duration or stop()). */
  done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs a simulated fleet: every tick, advances the story and writes the workers that
 * changed or are due a heartbeat — all in one batch, so 10,000 workers stay cheap.
 */
export function runSimulator(opts: SimulatorOptions): RunningSimulator {
  const start = Date.now();
  const fleet = new SimFleet({ ...opts, now: start });
  const beatMs = opts.beatMs ?? 2000;
  const tickMs = opts.tickMs ?? 250;
  let stopped = false;
  let wake: () => void = () => undefined;

  const loop = async () => {
    // First write: everyone, so the fleet exists before anything happens.
    await opts.writer.write(fleet.workers, [], start);
    while (!stopped && (opts.durationMs === undefined || Date.now() - start < opts.durationMs)) {
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, tickMs);
      });
      if (stopped) break;
      const now = Date.now();
      const events = fleet.step(now);
      const dirty = new Set(events.map((e) => e.worker));
      for (const w of fleet.workers) if (w.beating && now - w.lastBeat >= beatMs) dirty.add(w);
      for (const w of dirty) if (w.beating) w.lastBeat = now;
      if (dirty.size || events.length) await opts.writer.write([...dirty], events, now);
    }
    await opts.writer.close();
  };
  const done = loop();
  return {
    fleet,
    done,
    stop: async () => {
      stopped = true;
      wake();
      await done.catch(() => undefined);
    },
  };
}
