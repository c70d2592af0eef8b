import { spawn } from 'node:child_process';
import { formatWait } from '../control/request';

/**
 * The hold a supervisor has on one request (its lock in Redis, its row in Supabase).
 * `validUntil` is a time (ms, this machine's clock) before which no other supervisor can
 * have taken the request over: the lock's expiry minus a margin, counted from when the
 * renewal was *sent*. The supervisor moves it on each renewal and calls `onChange` with
 * it, or with `undefined` when it learns the hold is lost.
 */
export interface Lease {
  validUntil: number;
  onChange?: (validUntil: number | undefined) => void;
}

/** Marks the leash's own last line on stderr, so its words are told apart from the program's. */
const MARK = '\u0001workerlens-leash: ';

/*
 * The leash: a small Node process between the supervisor and the restart program, in a
 * process group of its own (with the program and whatever the program starts). It stops
 * that group, with SIGKILL, when
 * - its supervisor dies (its stdin, a pipe from the supervisor, closes: kill -9 included),
 * - the lease is not renewed in time (the supervisor is stalled, SIGSTOP, or cut off from
 *   the store: another supervisor may take the request over from then on),
 * - the run takes longer than the supervisor's --timeout.
 * It never starts the program on a lease that has already lapsed. Once the program has
 * exited the leash exits too and stops nothing: a worker the script started in the
 * background lives on.
 */
const LEASH = `
const { spawn } = require('node:child_process');
const { writeSync } = require('node:fs');
const [until, timeoutMs, timeoutText, file, ...args] = process.argv.slice(1);
const MARK = ${JSON.stringify(MARK)};
let deadline = Number(until);
let over = false;
const say = (text) => { try { writeSync(2, '\\n' + MARK + text + '\\n'); } catch {} };
const stop = (why) => {
  if (over) return;
  over = true;
  say(why);
  try { process.kill(-process.pid, 'SIGKILL'); } catch { process.exit(86); }
};
let child;
// Started once the renewals sent while this process booted are read (or shortly after):
// booting Node can take longer than the margin on a busy machine.
const begin = () => {
  if (child || over) return;
  if (!(Date.now() < deadline)) { over = true; say("not started: this supervisor's hold on the request had lapsed"); process.exit(86); }
  child = spawn(file, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  child.on('error', (e) => {
    over = true;
    say(e.code === 'ENOENT' ? 'program not found: ' + file : e.code === 'EACCES' ? 'not allowed to run ' + file : 'cannot run ' + file + ': ' + (e.code || e.message));
    process.exit(86);
  });
  child.on('exit', (code, signal) => {
    if (over) return;
    over = true;
    if (signal) { say('killed by ' + signal); process.exit(86); }
    process.exit(code === null ? 1 : code);
  });
};
setTimeout(begin, 50);
let rest = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  const lines = (rest + d).split('\\n');
  rest = lines.pop();
  for (const l of lines) deadline = Number(l);
  if (!(deadline > 0)) stop("stopped: this supervisor lost its hold on the request; the program was stopped");
  else begin();
});
process.stdin.on('end', () => stop('stopped: the supervisor exited; the program was stopped with it'));
process.stdin.on('error', () => stop('stopped: the supervisor exited; the program was stopped with it'));
setInterval(() => {
  if (Date.now() >= deadline) stop("stopped: this supervisor's hold on the request was not renewed in time (stalled or cut off from the store); the program was stopped before another supervisor could take it over");
}, 25);
setTimeout(() => stop('timed out after ' + timeoutText + '; the program was stopped'), Number(timeoutMs));
`;

export interface LeashedRunOptions {
  timeoutMs: number;
  lease: Lease;
  onOutput?: (line: string) => void;
}

/** Output kept for the message; the lines themselves go to onOutput as they come. */
const KEEP_CHARS = 4096;
/** How long output may still arrive after the leash exited (from a worker the script left running). */
const EXIT_DRAIN_MS = 300;

/**
 * Runs one argv (no shell) on a leash: it lives only while this process lives and the
 * lease holds (see LEASH). Never rejects; the result says what happened in words, as
 * runArgv's do ("exit 0", "exit 2: unknown worker", "program not found: pm2").
 */
export function runLeashed(
  argv: readonly string[],
  opts: LeashedRunOptions,
): Promise<{ ok: boolean; message: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['-e', LEASH, String(opts.lease.validUntil), String(opts.timeoutMs), formatWait(opts.timeoutMs), ...argv],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true, // its own process group: a kill of the supervisor's group leaves it to stop the program
        windowsHide: true,
      },
    );
    const tails = { stdout: '', stderr: '' };
    const forward = (stream: NodeJS.ReadableStream, key: 'stdout' | 'stderr') => {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => {
        tails[key] = (tails[key] + d).slice(-KEEP_CHARS);
        const lines = (rest + d).split(/\r?\n/);
        rest = lines.pop() ?? '';
        for (const l of lines) if (!l.startsWith(MARK) && l !== '') opts.onOutput?.(l);
      });
      stream.on('end', () => rest && !rest.startsWith(MARK) && opts.onOutput?.(rest));
    };
    forward(child.stdout!, 'stdout');
    forward(child.stderr!, 'stderr');
    child.stdin!.on('error', () => undefined); // the leash is gone; its exit says why
    opts.lease.onChange = (v) => {
      if (child.exitCode === null && child.signalCode === null) child.stdin!.write(`${v ?? 0}\n`);
    };
    // A backstop for a leash that could not stop (it never should): the group, from here.
    const backstop = setTimeout(() => killGroup(child.pid), opts.timeoutMs + 10_000);
    child.once('error', (err) => {
      clearTimeout(backstop);
      resolve({ ok: false, message: `cannot run ${argv[0]}: ${(err as NodeJS.ErrnoException).code ?? err.message}` });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(backstop);
      opts.lease.onChange = undefined;
      setTimeout(() => {
        child.stdout!.destroy();
        child.stderr!.destroy();
        const own = lastLine(
          tails.stderr
            .split('\n')
            .filter((l) => l.startsWith(MARK))
            .pop()
            ?.slice(MARK.length),
        );
        const last = lastLine(tails.stderr.replaceAll(new RegExp(`^${MARK}.*$`, 'gm'), '')) || lastLine(tails.stdout);
        if (own)
          resolve({
            ok: false,
            message:
              /^program not found|^not allowed|^cannot run/.test(own) || !last ? own : `${own} (last output: ${last})`,
          });
        else if (signal) resolve({ ok: false, message: `killed by ${signal}${last ? `: ${last}` : ''}` });
        else resolve({ ok: code === 0, message: `exit ${code ?? '?'}${last ? `: ${last}` : ''}` });
      }, EXIT_DRAIN_MS).unref();
    });
  });
}

function killGroup(pid: number | undefined): void {
  try {
    if (pid) process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function lastLine(s: string | undefined): string {
  const line = (s ?? '').trim().split(/\r?\n/).pop()?.trim() ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
