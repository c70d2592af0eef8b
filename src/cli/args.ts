import { parseArgs } from 'node:util';
import { checkRedisUrl } from '../core/connectionConfig';
import type { HealthThresholds } from '../core/model';

export type CliSource =
  | { kind: 'redis'; url: string; cluster?: boolean; nodes?: string[] }
  | { kind: 'supabase'; url: string }
  | { kind: 'folder'; path: string };

export interface StatusArgs {
  command: 'status';
  /** Undefined: use `./.workers` when it exists (the embedded default), else a usage error. */
  source?: CliSource;
  /** --redis only: a framework fleet (rq, sidekiq, bullmq) or orchestrator; left out, everything found is shown. */
  preset?: string;
  /** Heartbeat file glob for --folder. */
  pattern?: string;
  /** Environment variable holding the Redis password or Supabase key. */
  keyEnv?: string;
  watch: boolean;
  json: boolean;
  /** Forced on/off; undefined: colours when stdout is a terminal and NO_COLOR is unset. */
  color?: boolean;
  intervalMs: number;
  timeoutMs: number;
  thresholds: Partial<HealthThresholds>;
  /** With --watch: how long a new state must last before its transition is printed. */
  alertAfterMs?: number;
}

const REDIS_PRESETS = ['orchestrator', 'rq', 'sidekiq', 'celery', 'bullmq'];

export type ParsedCli = StatusArgs | { command: 'help' } | { command: 'error'; message: string };

export const USAGE = `Usage: worker-lens status [--redis URL | --supabase URL | --folder PATH] [options]

Prints every worker with its health, task and heartbeat age, problems first.
Without a source, reads ./.workers when it exists.

Sources:
  --redis URL              redis://host:port/db (the orchestrator layout and any RQ, Sidekiq, Celery or BullMQ workers found)
  --supabase URL           https://project.supabase.co (key from $SUPABASE_ANON_KEY or $SUPABASE_SERVICE_KEY, or --key-env)
  --folder PATH            a folder of JSON heartbeat files (heartbeat-files preset)

Options:
  --preset NAME            with --redis: read only this layout: orchestrator, rq, sidekiq, celery or bullmq
  --cluster                with --redis: the URL is a node of a Redis Cluster (orchestrator layout, read over all slots)
  --node URL               with --cluster: another seed node (repeatable)
  --pattern GLOB           heartbeat file names in --folder (default *.json)
  --key-env NAME           environment variable holding the Redis password / Supabase key
  --watch, -w              keep refreshing (Ctrl-C to stop)
  --json                   machine-readable output (one JSON document per refresh)
  --interval SECONDS       refresh interval with --watch (default 2)
  --timeout SECONDS        give up connecting after this long (default 10)
  --unresponsive-after S   heartbeat age that makes a worker unresponsive (default 15; --supabase 90)
  --dead-after S           heartbeat age that makes a worker dead (default 30; --supabase 300)
  --slow-after MINUTES     task age that makes a worker slow (default 15)
  --alert-after S          with --watch: a new state (dead, crashed, slow, recovered) is printed once it lasted this long (default 10)
  --no-color, --color      force colours off / on
  --help, -h               this help

Exit codes: 0 no worker dead or crashed · 1 a worker is dead or crashed · 2 usage or connection error.
`;

/** Parses the command line into what to do, or a usage error in words. Pure: no I/O. */
export function parseCliArgs(argv: string[]): ParsedCli {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        redis: { type: 'string' },
        supabase: { type: 'string' },
        folder: { type: 'string' },
        pattern: { type: 'string' },
        preset: { type: 'string' },
        cluster: { type: 'boolean' },
        node: { type: 'string', multiple: true },
        'key-env': { type: 'string' },
        watch: { type: 'boolean', short: 'w' },
        json: { type: 'boolean' },
        interval: { type: 'string' },
        timeout: { type: 'string' },
        'unresponsive-after': { type: 'string' },
        'dead-after': { type: 'string' },
        'slow-after': { type: 'string' },
        'alert-after': { type: 'string' },
        color: { type: 'boolean' },
        'no-color': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return { command: 'error', message: (err as Error).message };
  }
  const { values: v, positionals } = parsed;
  if (v.help || positionals[0] === 'help') return { command: 'help' };
  // `status` may be left out: it is the only command so far.
  if (positionals.length > 1 || (positionals.length === 1 && positionals[0] !== 'status')) {
    return { command: 'error', message: `Unknown command "${positionals.join(' ')}"` };
  }

  const sources: CliSource[] = [];
  if (v.redis !== undefined)
    sources.push({ kind: 'redis', url: v.redis, ...(v.cluster ? { cluster: true, nodes: v.node ?? [] } : {}) });
  if (v.supabase !== undefined) sources.push({ kind: 'supabase', url: v.supabase });
  if (v.folder !== undefined) sources.push({ kind: 'folder', path: v.folder });
  if (sources.length > 1)
    return { command: 'error', message: 'Give one of --redis, --supabase or --folder, not several' };
  const source = sources[0];
  if (source?.kind === 'redis' && !/^rediss?:\/\//.test(source.url)) {
    return { command: 'error', message: '--redis needs a URL starting with redis:// or rediss://' };
  }
  const redisProblem = source?.kind === 'redis' ? checkRedisUrl(source.url) : undefined;
  if (redisProblem) return { command: 'error', message: `--redis: ${redisProblem}` };
  if (source?.kind === 'supabase' && !/^https?:\/\//.test(source.url)) {
    return {
      command: 'error',
      message: '--supabase needs a URL starting with https:// (or http:// for a local stack)',
    };
  }
  if (source && 'path' in source && !source.path) return { command: 'error', message: '--folder needs a path' };
  if (v.pattern !== undefined && source && source.kind !== 'folder')
    return { command: 'error', message: '--pattern applies to --folder only' };
  if (v.preset !== undefined && source?.kind !== 'redis')
    return { command: 'error', message: '--preset applies to --redis only' };
  if (v.preset !== undefined && !REDIS_PRESETS.includes(v.preset)) {
    return { command: 'error', message: `--preset should be one of ${REDIS_PRESETS.join(', ')}, not "${v.preset}"` };
  }
  if (v.cluster && source?.kind !== 'redis') return { command: 'error', message: '--cluster applies to --redis only' };
  if (v.node !== undefined && !v.cluster) return { command: 'error', message: '--node needs --cluster' };
  for (const node of v.node ?? []) {
    const problem = checkRedisUrl(node);
    if (problem) return { command: 'error', message: `--node: ${problem}` };
  }
  if (v.cluster && v.preset !== undefined && v.preset !== 'orchestrator')
    return {
      command: 'error',
      message: '--cluster reads the orchestrator layout only (framework fleets are not read on a cluster)',
    };
  if (v.color && v['no-color']) return { command: 'error', message: 'Give --color or --no-color, not both' };

  const nums: [string, string | undefined, number][] = [
    ['--interval', v.interval, 2],
    ['--timeout', v.timeout, 10],
    ['--unresponsive-after', v['unresponsive-after'], NaN],
    ['--dead-after', v['dead-after'], NaN],
    ['--slow-after', v['slow-after'], NaN],
  ];
  // 0 is a fair answer here ("print at once"), unlike for the other numbers.
  const rawAlert = v['alert-after'];
  const alertAfter = rawAlert === undefined ? 10 : rawAlert.trim() ? Number(rawAlert) : NaN;
  if (!Number.isFinite(alertAfter) || alertAfter < 0)
    return { command: 'error', message: `--alert-after needs a number of seconds (0 or more), not "${rawAlert}"` };
  const n: number[] = [];
  for (const [flag, raw, dflt] of nums) {
    if (raw === undefined) {
      n.push(dflt);
      continue;
    }
    const x = Number(raw);
    if (!raw.trim() || !Number.isFinite(x) || x <= 0)
      return { command: 'error', message: `${flag} needs a positive number, not "${raw}"` };
    n.push(x);
  }
  const [interval, timeout, unresponsive, dead, slow] = n;
  const thresholds: Partial<HealthThresholds> = {};
  if (!Number.isNaN(unresponsive)) thresholds.unresponsiveAfterSeconds = unresponsive;
  if (!Number.isNaN(dead)) thresholds.deadAfterSeconds = dead;
  if (!Number.isNaN(slow)) thresholds.slowTaskAfterMinutes = slow;

  return {
    command: 'status',
    source,
    pattern: v.pattern,
    preset: v.preset,
    keyEnv: v['key-env'],
    watch: Boolean(v.watch),
    json: Boolean(v.json),
    color: v.color ? true : v['no-color'] ? false : undefined,
    // Below 250 ms a terminal redraw flickers and a store is polled for nothing.
    intervalMs: Math.max(250, interval * 1000),
    timeoutMs: timeout * 1000,
    thresholds,
    alertAfterMs: alertAfter * 1000,
  };
}
