import { Fleet } from '../src/core/fleet';
import { effectiveThresholds } from '../src/core/connectionConfig';
import { SupabaseSource } from '../src/sources/supabase/supabaseSource';
import { SUPABASE_HEARTBEAT_THRESHOLDS } from '../src/sources/supabase/supabasePreset';
import type { SourceSink } from '../src/sources/source';
import { startSeed003Stack } from '../test/fixtures/seed003';
import { waitFor } from '../test/harness/freePort';
import { createRealtimeStandIn } from '../test/harness/realtimeStandIn';
import { percentile, type BenchRow } from './fleetBench';
import { IGNORE_ACTIVITY } from '../src/core/sourceSink';

const SNAPSHOTS = 7;
const CHANGES = 300;

/**
 * Supabase figures, on a real PostgREST 12 over a real PostgreSQL with N rows in seed
 * 003's table: how long one snapshot (the poll, and the reconcile while live) takes,
 * and how long a Realtime change takes from the socket to the Fleet. Realtime is the
 * test stand-in here, so the second figure is Worker Lens's own path (websocket frame →
 * supabase-js → source → Fleet), not Supabase's server-side delay.
 */
export async function benchSupabase(sizes: number[]): Promise<BenchRow[]> {
  const standIn = createRealtimeStandIn();
  const stack = await startSeed003Stack(standIn);
  const rows: BenchRow[] = [];
  try {
    for (const n of sizes) {
      await stack.pg.query(`truncate hp_worker_status;
        insert into hp_worker_status (worker_name, status, last_heartbeat, pid, uptime, memory, jobs_processed, errors)
        select 'worker-' || g, 'running', now(), 1000 + g, 120, 52428800, g, 0 from generate_series(1, ${n}) g;`);
      const fleet = new Fleet(effectiveThresholds(SUPABASE_HEARTBEAT_THRESHOLDS));
      const seen = new Map<string, number>();
      const sink: SourceSink = {
        ...IGNORE_ACTIVITY,
        replaceAll: (w) => fleet.replaceAll(w),
        update: (w, r) => {
          fleet.update(w, r);
          for (const x of w) seen.set(`${x.id}:${x.completed}`, performance.now());
        },
        setConnection: (s) => fleet.setConnection(s),
        log: () => undefined,
      };
      // Long intervals: every snapshot below is one we asked for.
      const source = new SupabaseSource({
        url: stack.rest.url,
        key: stack.rest.anonKey,
        pollMs: 600_000,
        reconcileMs: 600_000,
      });
      source.start(sink);
      await waitFor(() => fleet.size === n && /^Realtime/.test(fleet.connection.liveMode ?? ''), {
        timeoutMs: 60_000,
        message: `${n} rows, live`,
      });
      const times: number[] = [];
      for (let i = 0; i < SNAPSHOTS; i++) {
        const t0 = performance.now();
        await source.refresh();
        times.push(performance.now() - t0);
      }
      const latencies: number[] = [];
      for (let i = 0; i < CHANGES; i++) {
        const id = `worker-${(i % n) + 1}`;
        const completed = 1_000_000 + i;
        const t0 = performance.now();
        standIn.sendChange({
          type: 'UPDATE',
          table: 'hp_worker_status',
          record: {
            worker_name: id,
            status: 'running',
            last_heartbeat: new Date().toISOString(),
            jobs_processed: completed,
            errors: 0,
          },
        });
        await waitFor(() => seen.has(`${id}:${completed}`), {
          timeoutMs: 5_000,
          intervalMs: 1,
          message: 'change applied',
        });
        latencies.push(seen.get(`${id}:${completed}`)! - t0);
      }
      await source.dispose();
      rows.push(
        { metric: 'supabase_snapshot_ms', workers: n, value: +percentile(times, 50).toFixed(2), unit: 'ms' },
        { metric: 'supabase_realtime_p50_ms', workers: n, value: +percentile(latencies, 50).toFixed(2), unit: 'ms' },
        { metric: 'supabase_realtime_p95_ms', workers: n, value: +percentile(latencies, 95).toFixed(2), unit: 'ms' },
      );
    }
  } finally {
    await stack.stop();
  }
  return rows;
}
