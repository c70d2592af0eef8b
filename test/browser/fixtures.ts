import { prng } from '../../src/companion/simFleet';
import type { LogEntry } from '../../src/core/logEntry';
import { LogPipeline } from '../../src/core/logLines';
import { LogLineParser } from '../../src/sources/files/logParse';
import { MetricsStore } from '../../src/core/metrics';
import { ALL_HEALTH, type Health, type WorkerView } from '../../src/core/model';
import { parseStreamEntry } from '../../src/sources/redis/streamEntry';
import type { HostMessage, WindowKey } from '../../src/shared/protocol';
import { workerRows } from '../../src/vscode/dashboard/workerRows';

/** Deterministic randomness, so the recorded session (and the screenshot) is the same every run. */
export const rng = prng;

export const WORKERS = ['worker-1', 'worker-2', 'worker-3', 'worker-4', 'worker-5', 'worker-6', 'worker-7', 'worker-8'];

/**
 * A recorded session: what the host sends after an hour of a simulated 8-worker fleet
 * (seed 002's states, seed 004's logs, seed 001's streams), produced by the real host
 * code — MetricsStore, LogPipeline, the parsers — so the page is fed the real protocol.
 */
export function recordedSession(
  now: number,
  window: WindowKey = '1h',
): { snapshot: HostMessage & { type: 'dashboard/snapshot' }; store: MetricsStore } {
  const rand = rng(7);
  let clock = now - 3_600_000;
  const store = new MetricsStore({ clock: () => clock });
  const pipeline = new LogPipeline({
    maxLines: 10_000,
    resolves: (p) => p.endsWith('worker.py') || p.endsWith('claim.py'),
  });
  const logs: LogEntry[] = [];
  const text = new LogLineParser('worker-3.log', 'worker-3', () => clock);
  let id = 0;

  for (; clock <= now; clock += 5000) {
    const minute = (clock - (now - 3_600_000)) / 60_000;
    const busy = 0.55 + 0.35 * Math.sin(minute / 9);
    for (const w of WORKERS) {
      if (rand() < 0.1 * busy * (w === 'worker-7' ? 0.2 : 1)) {
        const failed = rand() < (minute > 38 && minute < 46 ? 0.3 : 0.04);
        const durationS = Math.exp(2.8 + rand() * 1.6 + (w === 'worker-2' ? 0.8 : 0));
        const fields = ['worker_id', w, 'work_item_id', `issue-${1000 + (id % 900)}`, 'duration', durationS.toFixed(1)];
        if (failed) fields.push('error', rand() < 0.5 ? 'git worktree conflict' : 'Claude execution timeout');
        const { entry, event } = parseStreamEntry(
          failed ? 'work_errors' : 'work_completions',
          `${clock}-${id++}`,
          fields,
        );
        store.recordEvent(event!);
        logs.push(entry);
      }
    }
    const dead = minute > 50 ? 1 : 0;
    const slow = minute > 20 ? 1 : 0;
    const working = Math.round(6 * busy) - slow;
    const counts = Object.fromEntries(ALL_HEALTH.map((h) => [h, 0])) as Record<Health, number>;
    Object.assign(counts, {
      working,
      slow,
      dead,
      unresponsive: minute > 48 && minute < 51 ? 1 : 0,
      healthy: WORKERS.length - working - slow - dead - (minute > 48 && minute < 51 ? 1 : 0),
    });
    store.sampleHealth(counts, clock);
    store.recordQueueDepth('pending', Math.max(0, Math.round(120 + 80 * Math.sin(minute / 7) + rand() * 10)), clock);
    store.recordQueueDepth('processing', working + slow, clock);
  }
  clock = now;

  const seed004 = [
    '[2026-02-07 21:45:26] [worker-gpu1] Worker initialized: worker-1 on GPU 1, Ollama port 11437',
    "[2026-02-07 21:45:30] [worker-gpu1] No suitable tasks - Queue: [llm:125], Preferred: ['resource', 'script', 'cpu', 'llm'], Model loaded: False",
    '[2026-02-07 21:45:28] [worker-gpu2] Claimed resource task: d5de16d7 (load_llm)',
    "[2026-02-07 21:46:30] [brain] load_llm task available for 62s but workers ['worker-1', 'worker-3'] still have no model",
    "[2026-02-07 21:50:00] [brain] Stuck tasks detected: [{'task_id': 'a1b2c3d4', 'assigned_to': 'worker-1', 'elapsed_min': 6}]",
    "[2026-02-07 21:50:02] [worker-gpu1] Worker crashed in main loop: KeyError('model_name')",
    'Traceback (most recent call last):',
    '  File "/app/shared/agents/worker.py", line 142, in run',
    '  File "/app/shared/agents/claim.py", line 88, in claim_task',
    "KeyError: 'model_name'",
    '[2026-02-07 21:50:02] [worker-gpu1] Worker shutting down - completed 42 tasks',
  ];
  const tail = seed004.map((l, i) => ({ ...text.parse(l), ts: now - (seed004.length - i) * 700 }));
  pipeline.add([...logs.slice(-400), ...tail]);

  const views: WorkerView[] = WORKERS.map((w, i) => {
    const health: Health =
      i === 6 ? 'dead' : i === 1 ? 'slow' : i === 4 ? 'healthy' : i === 7 ? 'unresponsive' : 'working';
    const task =
      health === 'healthy' || health === 'dead'
        ? undefined
        : {
            id: `issue-${1200 + i}`,
            title: `Fix flaky test #${1200 + i}`,
            type: i % 2 ? 'bugfix' : 'feature',
            startedAt: now - (health === 'slow' ? 22 * 60_000 : (i + 1) * 47_000),
          };
    return {
      snapshot: {
        id: w,
        name: w,
        problems: [],
        status: health,
        lastHeartbeat: now - (health === 'dead' ? 95_000 : health === 'unresponsive' ? 19_000 : 2000 + i * 300),
        completed: 40 + i * 13,
        errors: i === 2 ? 9 : i % 3,
        ...(task ? { task } : {}),
      },
      health,
      reason: health === 'dead' ? 'No heartbeat for 1m 35s; dead after 30s' : `Worker is ${health}`,
      stale: false,
    };
  });

  return {
    store,
    snapshot: {
      type: 'dashboard/snapshot',
      config: { maxLines: 10_000 },
      connection: {
        name: 'orchestrator',
        state: 'connected',
        liveMode: 'events stream',
        logSource: 'Logs: work_completions, work_errors, stream:worker_events, events:stream',
      },
      metrics: store.view(window),
      workers: workerRows(views, now),
      logs: pipeline.all(),
    },
  };
}
