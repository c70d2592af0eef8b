import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { waitFor } from './freePort';

/*
 * Runs `src/companion/supervisorCli.ts` the way a user runs `npm run supervisor`: a
 * separate process, from source through tsx. For the control tests and for the
 * in-VS-Code end-to-end test (start one with `--pool` next to the redis-server the
 * extension watches, then restart a worker through the extension).
 */

/** The repository root, found by walking up: this file also runs bundled (dist/test/…) inside VS Code. */
function repoRoot(): string {
  for (let d = __dirname; d !== dirname(d); d = dirname(d)) {
    const pkg = join(d, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'worker-lens')
      return d;
  }
  throw new Error(`cannot find the worker-lens repository above ${__dirname}`);
}

const ROOT = repoRoot();
const CLI = join(ROOT, 'src/companion/supervisorCli.ts');
// By path, not by name: the child's cwd may be a temp folder where `tsx` does not resolve.
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

/** Fixtures for argv templates and pool workers. */
export const FIXTURES = join(ROOT, 'test/fixtures/control');
export const RECORD_ARGV = join(FIXTURES, 'recordArgv.mjs');
/** A heartbeating worker (through src/companion/heartbeat.ts); run it with `poolWorkerArgv()`. */
export const POOL_WORKER = join(FIXTURES, 'poolWorker.ts');

/** The `--pool` argv template that runs POOL_WORKER from source (env: REDIS_URL, see the fixture). */
export function poolWorkerArgv(): string[] {
  return [process.execPath, '--import', TSX, POOL_WORKER, '${worker}'];
}

export interface SupervisorProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr, interleaved). */
  output(): string;
  /** The consumer name it announced. */
  consumer: string;
  /** SIGKILL to its whole process group (it and the programs it started): a crash. */
  kill(): Promise<void>;
  /** SIGTERM: finishes requests in progress, stops its pool, exits. */
  stop(): Promise<void>;
}

const running = new Set<SupervisorProcess>();

/** Starts a supervisor; resolves once it reads requests. `args` as on the command line. */
export async function startSupervisorProcess(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<SupervisorProcess> {
  // Its own process group, so kill() takes the programs it started down with it.
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const killGroup = async (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Already gone.
    }
  };
  const proc: SupervisorProcess = {
    child,
    output: () => out,
    consumer: '',
    async kill() {
      running.delete(proc);
      await killGroup('SIGKILL');
      await exited;
    },
    async stop() {
      running.delete(proc);
      if (alive()) child.kill('SIGTERM');
      await Promise.race([
        exited,
        waitFor(() => !alive(), { timeoutMs: 15_000, message: 'supervisor to stop' }).catch(() => killGroup('SIGKILL')),
      ]);
      await killGroup('SIGKILL'); // anything it left behind
    },
  };
  running.add(proc);
  try {
    const m = await waitFor(() => /supervisor ready: (\S+)/.exec(out) ?? (alive() ? undefined : 'exited'), {
      timeoutMs: opts.timeoutMs ?? 20_000,
      message: 'supervisor ready',
    });
    if (m === 'exited') throw new Error('the supervisor exited before it was ready');
    proc.consumer = (m as RegExpExecArray)[1];
  } catch (err) {
    await proc.kill();
    throw new Error(`${(err as Error).message}\n--- supervisor output ---\n${out}`);
  }
  return proc;
}

/** Kills every supervisor this process started and has not stopped (test cleanup). */
export async function killAllSupervisors(): Promise<void> {
  await Promise.all([...running].map((p) => p.kill()));
}
