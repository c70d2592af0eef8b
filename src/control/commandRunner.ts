import { execFile } from 'node:child_process';
import { formatWait } from './request';

export interface RunOptions {
  timeoutMs: number;
  /** Aborting kills the program. */
  signal?: AbortSignal;
  /** Each line of output as it arrives (the log channel). */
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface RunResult {
  ok: boolean;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** In words: "exit 0", "exit 2: unknown worker", "timed out after 30 s", "program not found: pm2". */
  message: string;
}

/** Output kept per stream; more is a program misbehaving, not information. */
const MAX_BUFFER = 1024 * 1024;

/**
 * Runs one argv with execFile: no shell, so nothing in any argument is interpreted.
 * Never rejects: every failure becomes a RunResult with a message.
 */
export function runArgv(argv: readonly string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    const cannot = (why: string) =>
      resolve({ ok: false, exitCode: null, signal: null, timedOut: false, stdout: '', stderr: '', message: why });
    let child: ReturnType<typeof execFile>;
    try {
      child = spawnArgv();
    } catch (err) {
      // Refused before it started (a path through a file: ENOTDIR; a .cmd on Windows: EINVAL).
      return cannot(`cannot run ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    // A restart script that starts the worker in the background (`nohup node w.js &`) leaves
    // it holding our stdout: execFile would wait for that to close, i.e. until the timeout.
    // Once the program itself has exited, its output gets a moment to drain, then we stop listening.
    child.once('exit', () => {
      setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, EXIT_DRAIN_MS).unref();
    });
    if (opts.onOutput) {
      forwardLines(child.stdout, (l) => opts.onOutput!(l, 'stdout'));
      forwardLines(child.stderr, (l) => opts.onOutput!(l, 'stderr'));
    }

    function spawnArgv() {
      return execFile(
        file,
        args,
        {
          shell: false,
          timeout: opts.timeoutMs,
          killSignal: 'SIGKILL',
          maxBuffer: MAX_BUFFER,
          windowsHide: true,
          signal: opts.signal,
          cwd: opts.cwd,
          env: opts.env,
          encoding: 'utf8',
        },
        (err, stdout, stderr) => {
          const e = err as
            (NodeJS.ErrnoException & { killed?: boolean; signal?: NodeJS.Signals; code?: number | string }) | null;
          const exitCode = typeof e?.code === 'number' ? e.code : e ? child.exitCode : 0;
          const signal = e?.signal ?? child.signalCode ?? null;
          let timedOut = false;
          const tooMuch = e?.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER';
          // execFile's own kill (killed) that was not ours (abort) nor the output cap: the timeout.
          if (e?.killed && !tooMuch && !opts.signal?.aborted) timedOut = true;
          const last = lastLine(stderr) || lastLine(stdout);
          let message: string;
          if (e?.code === 'ENOENT') message = `program not found: ${file}`;
          else if (e?.code === 'EACCES') message = `not allowed to run ${file}`;
          else if (opts.signal?.aborted) message = 'cancelled; the program was stopped';
          else if (tooMuch) message = 'the program wrote too much output and was stopped';
          else if (timedOut) message = `timed out after ${formatWait(opts.timeoutMs)}; the program was stopped`;
          else if (signal) message = `killed by ${signal}`;
          else message = `exit ${exitCode ?? '?'}`;
          if (last && !/^program not found|^not allowed/.test(message)) message += `: ${last}`;
          resolve({
            ok: !e,
            exitCode: exitCode ?? null,
            signal,
            timedOut,
            stdout: stdout ?? '',
            stderr: stderr ?? '',
            message,
          });
        },
      );
    }
  });
}

/** How long output may still arrive after the program exited (from children it left behind). */
const EXIT_DRAIN_MS = 300;

function forwardLines(stream: NodeJS.ReadableStream | null, each: (line: string) => void): void {
  if (!stream) return;
  let rest = '';
  stream.on('data', (d: Buffer | string) => {
    const lines = (rest + String(d)).split(/\r?\n/);
    rest = lines.pop() ?? '';
    for (const l of lines) each(l);
  });
  stream.on('end', () => rest && each(rest));
}

function lastLine(s: string | undefined): string {
  const line = (s ?? '').trim().split(/\r?\n/).pop()?.trim() ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
