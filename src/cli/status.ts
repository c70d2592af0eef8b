import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { terminalJson } from '../core/checked';
import { effectiveThresholds, redactUrl } from '../core/connectionConfig';
import { Fleet, type ConnectionState } from '../core/fleet';
import { FilesSource } from '../sources/files/filesSource';
import { RedisSource } from '../sources/redis/redisSource';
import { CombinedSource } from '../sources/redis/frameworks/combinedSource';
import { FrameworkSource } from '../sources/redis/frameworks/frameworkSource';
import { isFrameworkPreset } from '../sources/redis/frameworks/layouts';
import { SupabaseSource } from '../sources/supabase/supabaseSource';
import { SUPABASE_HEARTBEAT_THRESHOLDS } from '../sources/supabase/supabasePreset';
import type { SourceSink, WorkerSource } from '../sources/source';
import type { StatusArgs } from './args';
import { exitCodeFor, headerLine, renderTable, summaryLine, toJson } from './render';
import { fleetSink } from '../core/sourceSink';
import { TransitionWatcher, type Transition } from '../core/transitions';
import { transitionLine } from './render';

/** The process around the command, passed in so tests (and main) choose the streams. */
export interface CliIo {
  out: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  err: { write(s: string): unknown };
  env: Record<string, string | undefined>;
  cwd: string;
  /** Resolves when the user stops --watch (Ctrl-C). */
  stopped: Promise<unknown>;
}

interface Opened {
  source: WorkerSource;
  where: string;
}

/** Exit code for usage and connection errors (0 and 1 are the fleet's answer). */
export const EXIT_ERROR = 2;

/** `worker-lens status`: one read and a table (or JSON), or a live view with --watch. Returns the exit code. */
export async function runStatus(args: StatusArgs, io: CliIo): Promise<number> {
  const opened = openSource(args, io);
  if (typeof opened === 'string') {
    io.err.write(`worker-lens: ${opened}\n`);
    return EXIT_ERROR;
  }
  const { source, where } = opened;
  // Seed 003's workers beat every 30 s: the Supabase preset's thresholds, unless given.
  const preset = args.source?.kind === 'supabase' ? SUPABASE_HEARTBEAT_THRESHOLDS : {};
  const fleet = new Fleet(effectiveThresholds(preset, args.thresholds));
  const debug = Boolean(io.env.WORKER_LENS_DEBUG);
  const sink: SourceSink = fleetSink(
    fleet,
    (level, message) => void (debug && io.err.write(`[${level}] ${message}\n`)),
  );
  const color = args.color ?? (Boolean(io.out.isTTY) && !io.env.NO_COLOR && io.env.TERM !== 'dumb');
  try {
    source.start(sink);
    return args.watch
      ? await watch(args, io, fleet, source, where, color)
      : await once(args, io, fleet, source, where, color);
  } finally {
    await source.dispose();
  }
}

async function once(
  args: StatusArgs,
  io: CliIo,
  fleet: Fleet,
  source: WorkerSource,
  where: string,
  color: boolean,
): Promise<number> {
  const conn = await firstAnswer(fleet, args.timeoutMs);
  if (conn.state === 'connected') await source.refresh(); // lets files caught mid-write settle
  const final = fleet.connection;
  if (final.state !== 'connected') {
    const why =
      final.state === 'connecting'
        ? `No answer from ${where} within ${args.timeoutMs / 1000}s.`
        : (final.message ?? `Cannot read ${where}.`);
    io.err.write(`worker-lens: ${why}\n`);
    return EXIT_ERROR;
  }
  fleet.reclassify();
  const views = fleet.workers();
  const now = Date.now();
  if (args.json) io.out.write(`${terminalJson(toJson(views, now, where, final), 2)}\n`);
  else io.out.write(`${renderTable(views, now, { color, width: io.out.columns })}\n${summaryLine(views, color)}\n`);
  return exitCodeFor(views);
}

/**
 * Redraws every interval (ages move without any write) and, on a terminal, as soon as
 * the fleet changes. Piped, it prints a frame per interval (JSON: one line each).
 * Ends on Ctrl-C with the code of the last frame.
 */
async function watch(
  args: StatusArgs,
  io: CliIo,
  fleet: Fleet,
  _source: WorkerSource,
  where: string,
  color: boolean,
): Promise<number> {
  const tty = Boolean(io.out.isTTY) && !args.json;
  let code = EXIT_ERROR;
  let everConnected = false;
  // Transitions as they happen: printed as lines when piped, kept under the table on a terminal.
  const transitions = new TransitionWatcher(fleet, { minimumMs: args.alertAfterMs ?? 10_000, groupMs: 0 });
  const recent: Transition[] = [];
  let fresh: Transition[] = [];
  transitions.onTransitions((ts) => {
    fresh.push(...ts);
    recent.push(...ts);
    recent.splice(0, Math.max(0, recent.length - 10));
  });
  const frame = () => {
    fleet.reclassify();
    const views = fleet.workers();
    const now = Date.now();
    transitions.evaluate(now);
    const said = fresh;
    fresh = [];
    const conn = fleet.connection;
    if (conn.state === 'connected') everConnected = true;
    code = everConnected ? exitCodeFor(views) : EXIT_ERROR;
    if (args.json)
      return void io.out.write(
        `${terminalJson({ ...toJson(views, now, where, conn), ...(said.length ? { transitions: said } : {}) })}\n`,
      );
    if (!tty) for (const t of said) io.out.write(`${transitionLine(t, color)}\n`);
    const table =
      everConnected || views.length
        ? `${renderTable(views, now, { color, width: io.out.columns })}\n${summaryLine(views, color)}\n`
        : '';
    const body =
      tty && recent.length
        ? `${table}\nTransitions\n${recent.map((t) => transitionLine(t, color)).join('\n')}\n`
        : table;
    const text = `${headerLine(where, conn, now, color, views.length > 0)}\n\n${body}`;
    io.out.write(tty ? `\x1b[H\x1b[2J${text}` : `${text}\n`);
  };
  let pending: NodeJS.Timeout | undefined;
  const soon = () => (pending ??= setTimeout(() => ((pending = undefined), frame()), 100));
  const unsubscribe = fleet.onChange((c) => {
    // Piped output gets its first frame as soon as the store answers, then one per interval.
    if (tty || (c.connection && !everConnected && fleet.connection.state !== 'connecting')) soon();
  });
  const ticker = setInterval(frame, args.intervalMs);
  if (tty) frame();
  try {
    await io.stopped;
  } finally {
    unsubscribe();
    transitions.dispose();
    clearInterval(ticker);
    clearTimeout(pending);
  }
  return code;
}

/** Resolves with the first connection state that is not "connecting", or the current one at the deadline. */
function firstAnswer(fleet: Fleet, timeoutMs: number): Promise<ConnectionState> {
  return new Promise((done) => {
    const check = () => {
      if (fleet.connection.state === 'connecting') return false;
      finish();
      return true;
    };
    const timer = setTimeout(() => finish(), timeoutMs);
    const unsubscribe = fleet.onChange(() => void check());
    const finish = () => {
      clearTimeout(timer);
      unsubscribe();
      done(fleet.connection);
    };
    check();
  });
}

/** Builds the source the flags name, or says in words why it cannot. */
function openSource(args: StatusArgs, io: CliIo): Opened | string {
  let src = args.source;
  if (!src) {
    const dflt = resolve(io.cwd, '.workers');
    if (!isDir(dflt))
      return 'no source given. Use --redis URL, --supabase URL or --folder PATH (or run where a .workers folder is). See --help.';
    src = { kind: 'folder', path: dflt };
  }
  let secret: string | undefined;
  if (args.keyEnv) {
    secret = io.env[args.keyEnv];
    if (!secret) return `environment variable ${args.keyEnv} (from --key-env) is not set.`;
  }
  switch (src.kind) {
    case 'redis':
      return {
        where: redactUrl(src.url),
        source: src.cluster
          ? new RedisSource({
              url: src.url,
              password: secret,
              cluster: true,
              nodes: src.nodes,
              pollMs: args.intervalMs,
              push: args.watch ? 'auto' : 'off',
            })
          : redisSourceOf(src.url, secret, args),
      };
    case 'folder': {
      const path = resolve(io.cwd, src.path);
      // A live view waits for the folder to appear; a one-shot answer cannot.
      if (!args.watch && !isDir(path)) return `folder ${path} does not exist (or is not a folder).`;
      return { where: path, source: new FilesSource({ path, pattern: args.pattern, pollMs: args.intervalMs }) };
    }
    case 'supabase': {
      // Seed 003's workers use SUPABASE_SERVICE_KEY; reading needs only the anon key.
      const key = secret ?? io.env.SUPABASE_SERVICE_KEY ?? io.env.SUPABASE_ANON_KEY;
      if (!key)
        return 'no Supabase key: set SUPABASE_ANON_KEY or SUPABASE_SERVICE_KEY, or name the variable with --key-env.';
      return {
        where: src.url,
        source: new SupabaseSource({ url: src.url, key, pollMs: args.intervalMs, realtime: Boolean(args.watch) }),
      };
    }
  }
}

/**
 * The preset's source; without one, the orchestrator layout and every framework fleet found beside it (as in the
 * editor).
 */
function redisSourceOf(url: string, password: string | undefined, args: StatusArgs): WorkerSource {
  if (isFrameworkPreset(args.preset))
    return new FrameworkSource({ url, password, frameworks: [args.preset], pollMs: args.intervalMs });
  // One read needs no push path: it would only open a second connection to close at once.
  const orchestrator = new RedisSource({ url, password, pollMs: args.intervalMs, push: args.watch ? 'auto' : 'off' });
  if (args.preset) return orchestrator;
  return new CombinedSource([
    orchestrator,
    new FrameworkSource({ url, password, frameworks: 'detect', pollMs: args.intervalMs }),
  ]);
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
