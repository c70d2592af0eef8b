import { displayText, MAX_TEXT } from '../core/checked';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseArgvTemplate } from '../control/argv';
import { checkRedisUrl, redactUrl } from '../core/connectionConfig';
import { describeRedisError } from '../sources/redis/redisErrors';
import { DEFAULT_COMMANDS_TABLE } from '../control/commandRow';
import { supabaseHost } from '../sources/supabase/supabaseErrors';
import { SupabaseSupervisor, type SupabaseSupervisorOptions } from './supabaseSupervisor';
import { Supervisor, type SupervisorOptions } from './supervisor';
import { WorkerPool } from './supervisorPool';

export const USAGE = `Usage: npm run supervisor -- --redis URL [--restart ARGV] [--scale ARGV] [options]
       npm run supervisor -- --supabase URL [--restart ARGV] [--scale ARGV] [options]
       npm run supervisor -- --config supervisor.json

Carries out the restart / scale requests Worker Lens writes to workerlens:commands and
answers on workerlens:command-results (with --supabase: the rows of the worker_commands
table, see sql/supabase-setup.sql). Run one or more (they share the work; a request
is carried out once, and one a crashed supervisor left behind is picked up by another).

An ARGV is a JSON array or plain words; \${worker} and \${count} are replaced inside each
argument and the program runs without a shell:
  --restart '["pm2", "restart", "\${worker}"]'
  --restart 'systemctl restart worker@\${worker}'
  --scale   'worker-manager scale \${count}'

Or let the supervisor run the workers itself (restart = stop + start, scale = start/stop):
  --pool ARGV            one worker's command; \${worker} is its name (also in $WORKER_ID)
  --pool-size N          workers to start with (default 1)
  --pool-prefix NAME     names NAME-1, NAME-2, … (default worker)

Options:
  --redis URL            redis://host:port/db (password: $REDIS_PASSWORD or --password-env)
  --password-env NAME    environment variable holding the Redis password
  --supabase URL         a Supabase project URL (https://<project>.supabase.co) instead of Redis
  --key-env NAME         environment variable holding the service_role key (default SUPABASE_SERVICE_KEY)
  --commands-table NAME  default worker_commands
  --config FILE          JSON with the same options in camelCase ({ "redis", "restart", "scale", "pool": { "argv", "size", "prefix" }, … })
  --commands-stream KEY  default workerlens:commands
  --results-stream KEY   default workerlens:command-results
  --group NAME           consumer group (default workerlens-supervisors)
  --consumer NAME        this supervisor's name in the group (default host:pid)
  --claim-idle-ms MS     take over requests a silent supervisor left for this long (default 10000)
  --timeout-seconds S    stop a restart/scale program after this long (default 120)
  --max-count N          largest scale accepted (default 100)
  --worker-pattern RE    only restart workers whose id matches this regular expression
  --help, -h             this help
`;

const STRING_OPTIONS = [
  'redis',
  'password-env',
  'supabase',
  'key-env',
  'commands-table',
  'config',
  'restart',
  'scale',
  'pool',
  'pool-size',
  'pool-prefix',
  'commands-stream',
  'results-stream',
  'group',
  'consumer',
  'claim-idle-ms',
  'timeout-seconds',
  'max-count',
  'worker-pattern',
];

interface FileConfig {
  redis?: string;
  supabase?: string;
  keyEnv?: string;
  commandsTable?: string;
  passwordEnv?: string;
  restart?: unknown;
  scale?: unknown;
  pool?: { argv?: unknown; size?: number; prefix?: string };
  commandsStream?: string;
  resultsStream?: string;
  group?: string;
  consumer?: string;
  claimIdleMs?: number;
  timeoutSeconds?: number;
  maxCount?: number;
  workerPattern?: string;
}

/** Command line (over a config file) into supervisor options, or a usage error in words. */
export function parseSupervisorArgs(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): {
  options?: SupervisorOptions;
  supabase?: SupabaseSupervisorOptions;
  poolArgv?: string[];
  help?: boolean;
  error?: string;
} {
  let v: Record<string, string | boolean | undefined>;
  try {
    v = parseArgs({
      args: argv,
      strict: true,
      options: {
        ...Object.fromEntries(STRING_OPTIONS.map((k) => [k, { type: 'string' as const }])),
        help: { type: 'boolean', short: 'h' },
      },
    }).values as Record<string, string | boolean | undefined>;
  } catch (err) {
    return { error: (err as Error).message };
  }
  if (v.help) return { help: true };
  let file: FileConfig = {};
  if (typeof v.config === 'string') {
    try {
      file = JSON.parse(readFileSync(v.config, 'utf8')) as FileConfig;
    } catch (err) {
      return { error: `cannot read --config ${v.config}: ${(err as Error).message}` };
    }
  }
  const s = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const num = (k: string, fromFile: number | undefined): number | undefined | 'bad' => {
    const raw = s(k) ?? fromFile;
    if (raw === undefined) return undefined;
    const n = Number(raw);
    return Number.isFinite(n) && n > 0 ? n : 'bad';
  };

  const supabaseUrl = s('supabase') ?? file.supabase;
  const url = supabaseUrl ?? s('redis') ?? file.redis ?? env.REDIS_URL;
  if (!url)
    return { error: '--redis URL or --supabase URL is needed (or "redis" / "supabase" in --config, or $REDIS_URL)' };
  if (supabaseUrl === undefined && !/^rediss?:\/\//.test(url))
    return { error: '--redis should start with redis:// or rediss://' };
  const redisProblem = supabaseUrl === undefined ? checkRedisUrl(url) : undefined;
  if (redisProblem) return { error: `--redis: ${redisProblem}` };
  if (supabaseUrl !== undefined && !/^https?:\/\//.test(supabaseUrl))
    return { error: '--supabase should be the project URL, https://<project>.supabase.co' };
  const keyEnv = s('key-env') ?? file.keyEnv ?? 'SUPABASE_SERVICE_KEY';
  const key = env[keyEnv];
  if (supabaseUrl !== undefined && !key)
    return { error: `the service_role key is needed in $${keyEnv} (or name another variable with --key-env)` };
  const passwordEnv = s('password-env') ?? file.passwordEnv;
  const password = passwordEnv ? env[passwordEnv] : env.REDIS_PASSWORD;

  const template = (k: 'restart' | 'scale') => {
    const raw = s(k) ?? file[k];
    return raw === undefined ? {} : parseArgvTemplate(raw, k === 'restart' ? ['worker'] : ['count'], `--${k}`);
  };
  const restart = template('restart');
  const scale = template('scale');
  const poolRaw = s('pool') ?? file.pool?.argv;
  const pool = poolRaw === undefined ? {} : parseArgvTemplate(poolRaw, ['worker'], '--pool');
  for (const t of [restart, scale, pool]) if (t.error) return { error: t.error };
  if (!restart.argv && !scale.argv && !pool.argv)
    return { error: 'nothing to do: give --restart and/or --scale, or --pool' };

  const claimIdleMs = num('claim-idle-ms', file.claimIdleMs);
  const timeoutSeconds = num('timeout-seconds', file.timeoutSeconds);
  const maxCount = num('max-count', file.maxCount);
  const poolSize = s('pool-size') !== undefined ? Number(s('pool-size')) : (file.pool?.size ?? 1);
  if (claimIdleMs === 'bad' || timeoutSeconds === 'bad' || maxCount === 'bad')
    return { error: '--claim-idle-ms, --timeout-seconds and --max-count take positive numbers' };
  if (!Number.isInteger(poolSize) || poolSize < 0) return { error: '--pool-size takes a whole number' };
  let workerPattern: RegExp | undefined;
  const pattern = s('worker-pattern') ?? file.workerPattern;
  if (pattern !== undefined) {
    try {
      workerPattern = new RegExp(pattern);
    } catch (err) {
      return { error: `--worker-pattern: ${(err as Error).message}` };
    }
  }
  const options: SupervisorOptions = {
    url,
    password,
    restart: restart.argv,
    scale: scale.argv,
    commandsStream: s('commands-stream') ?? file.commandsStream,
    resultsStream: s('results-stream') ?? file.resultsStream,
    group: s('group') ?? file.group,
    consumer: s('consumer') ?? file.consumer,
    claimIdleMs,
    runTimeoutMs: timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000,
    maxCount,
    workerPattern,
  };
  if (pool.argv) {
    options.pool = new WorkerPool({
      argv: pool.argv,
      size: poolSize,
      prefix: s('pool-prefix') ?? file.pool?.prefix ?? 'worker',
      log: (level, m) => logLine(level, m),
    });
  }
  if (supabaseUrl !== undefined) {
    const {
      restart: r,
      scale: sc,
      consumer,
      claimIdleMs: c,
      runTimeoutMs,
      maxCount: m,
      workerPattern: wp,
      pool: p,
    } = options;
    const table = s('commands-table') ?? file.commandsTable;
    return {
      supabase: {
        url: supabaseUrl,
        key: key!,
        table,
        restart: r,
        scale: sc,
        consumer,
        claimIdleMs: c,
        runTimeoutMs,
        maxCount: m,
        workerPattern: wp,
        pool: p,
      },
      poolArgv: pool.argv,
    };
  }
  return { options, poolArgv: pool.argv };
}

/**
 * One line of the supervisor's log. Worker ids and messages come from the store: ESC, BEL
 * or a newline in one must not drive the terminal or forge a log line, so they are
 * written out (`\u001B`).
 */
export function formatLogLine(level: 'info' | 'warn' | 'error', message: string, now = Date.now()): string {
  return `${new Date(now).toISOString()} ${level.toUpperCase().padEnd(5)} ${displayText(message, MAX_TEXT)}\n`;
}

function logLine(level: 'info' | 'warn' | 'error', message: string): void {
  const line = formatLogLine(level, message);
  (level === 'info' ? process.stdout : process.stderr).write(line);
}

async function main(): Promise<void> {
  const parsed = parseSupervisorArgs(process.argv.slice(2));
  if (parsed.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (!parsed.options && !parsed.supabase) {
    process.stderr.write(`worker-lens supervisor: ${parsed.error}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const supervisor = parsed.supabase
    ? new SupabaseSupervisor({ ...parsed.supabase, log: logLine })
    : new Supervisor({ ...parsed.options!, log: logLine });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logLine('info', `${signal}: finishing requests in progress, then stopping`);
    void supervisor.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    await supervisor.start();
  } catch (err) {
    if (stopping) return; // stopped while waiting for Redis: stop() exits
    logLine(
      'error',
      `cannot start: ${parsed.supabase ? String(err) : describeRedisError(err, redactUrl(parsed.options!.url))}`,
    );
    await supervisor.stop().catch(() => undefined);
    process.exit(2);
  }
  // Tests and scripts wait for this exact line.
  const reading = parsed.supabase
    ? `the ${parsed.supabase.table ?? DEFAULT_COMMANDS_TABLE} table at ${supabaseHost(parsed.supabase.url)}`
    : `${parsed.options!.commandsStream ?? 'workerlens:commands'} on ${redactUrl(parsed.options!.url)}`;
  logLine('info', `supervisor ready: ${supervisor.consumer} reading ${reading}`);
}

// Imported by tests for parseSupervisorArgs; run as a program otherwise.
if (process.argv[1] && /supervisor(Cli)?\.(ts|js|mjs|cjs)$/.test(process.argv[1])) void main();
