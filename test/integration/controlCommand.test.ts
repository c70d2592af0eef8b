import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandRequester } from '../../src/control/commandRequester';
import { runArgv } from '../../src/control/commandRunner';
import { newRequest } from '../../src/control/request';
import { RECORD_ARGV } from '../harness/supervisorProcess';
import { HOSTILE } from '../fixtures/control/hostileNames';

/*
 * Command mode runs real programs: a node script stands in for pm2 / systemctl and
 * records the argv it received, so the assertions are on what the child process got.
 */

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  delete process.env.RECORD_FILE;
  delete process.env.EXIT_CODE;
});

function recordFile(): string {
  const d = mkdtempSync(join(tmpdir(), 'wl-control-'));
  dirs.push(d);
  return join(d, 'argv.jsonl');
}
const recorded = (file: string): { argv: string[] }[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

test('hostile worker names reach the program as one literal argument each, and nothing else runs', async () => {
  const file = recordFile();
  process.env.RECORD_FILE = file;
  // If any name were given to a shell, `touch` would create this file.
  const canary = join(dirs[0], 'pwned');
  const names = [
    ...HOSTILE,
    `x; touch ${canary}`,
    `$(touch ${canary})`,
    `\`touch ${canary}\``,
    `a' ; touch ${canary} ; '`,
  ];
  const req = new CommandRequester({
    restart: [process.execPath, RECORD_ARGV, 'restart', 'worker@${worker}', '${worker}'],
    timeoutMs: 10_000,
  });
  for (const worker of names) {
    const outcome = await req.send(newRequest('restart', { worker }));
    assert.equal(outcome.status, 'done', `${JSON.stringify(worker)}: ${outcome.message}`);
  }
  const got = recorded(file).map((r) => r.argv);
  assert.deepEqual(
    got,
    names.map((w) => ['restart', `worker@${w}`, w]),
  );
  assert.equal(existsSync(canary), false, 'no shell ran any part of a worker name');
});

test('scale substitutes the count; the exit code and last output line are reported', async () => {
  const file = recordFile();
  process.env.RECORD_FILE = file;
  const lines: string[] = [];
  const req = new CommandRequester({
    scale: [process.execPath, RECORD_ARGV, 'scale', '${count}'],
    timeoutMs: 10_000,
    onOutput: (l) => lines.push(l),
  });
  const accepted: string[] = [];
  const ok = await req.send(newRequest('scale', { count: 8 }), { onAccepted: (m) => accepted.push(m) });
  assert.deepEqual(ok, { status: 'done', message: 'exit 0: recorded ["scale","8"]' });
  assert.match(accepted[0], /^running .*recordArgv\.mjs scale 8$/);
  assert.deepEqual(lines, ['recorded ["scale","8"]']);
  assert.deepEqual(
    recorded(file).map((r) => r.argv),
    [['scale', '8']],
  );

  process.env.EXIT_CODE = '3';
  const failed = await req.send(newRequest('scale', { count: 2 }));
  assert.deepEqual(failed, { status: 'failed', message: 'exit 3: failing with 3 on purpose' });
  // No restart command configured: says so, runs nothing.
  const none = await req.send(newRequest('restart', { worker: 'w1' }));
  assert.deepEqual(none, { status: 'failed', message: 'no restart command is configured (control.restart)' });
  assert.equal(recorded(file).length, 2);
});

test('a name that would be read as an option is refused before anything runs', async () => {
  const file = recordFile();
  process.env.RECORD_FILE = file;
  const req = new CommandRequester({ restart: [process.execPath, RECORD_ARGV, '${worker}'], timeoutMs: 10_000 });
  const out = await req.send(newRequest('restart', { worker: '--inspect=0.0.0.0:9229' }));
  assert.equal(out.status, 'failed');
  assert.match(out.message, /would be read as an option/);
  assert.equal(existsSync(file), false);
});

test('a program that hangs is stopped at the timeout; a missing program is named; cancelling stops it', async () => {
  const hang = [process.execPath, '-e', 'setInterval(() => {}, 1000)'];
  const t0 = Date.now();
  const timedOut = await runArgv(hang, { timeoutMs: 300 });
  assert.equal(timedOut.ok, false);
  assert.equal(timedOut.timedOut, true);
  assert.match(timedOut.message, /^timed out after 300 ms; the program was stopped/);
  assert.ok(Date.now() - t0 < 5000, 'killed, not waited for');

  const missing = await runArgv(['/nonexistent/worker-manager', 'scale', '3'], { timeoutMs: 1000 });
  assert.equal(missing.message, 'program not found: /nonexistent/worker-manager');

  const ac = new AbortController();
  const req = new CommandRequester({ restart: [...hang, '${worker}'], timeoutMs: 60_000 });
  const pending = req.send(newRequest('restart', { worker: 'w1' }), {
    signal: ac.signal,
    onAccepted: () => ac.abort(),
  });
  const cancelled = await pending;
  assert.equal(cancelled.status, 'cancelled');
});

test('a restart script that leaves the worker running in the background reports its exit when it exits, not when the worker does', async () => {
  // Like `nohup node worker.js &` in a restart script: the background process keeps the
  // script's stdout open long after the script itself has exited 0. Here the background
  // process marks a file once it has run 10 s: the result must come before that.
  const marker = join(recordFile(), '..', 'background-still-running-10s-later');
  const res = await runArgv(['sh', '-c', `(sleep 10; touch '${marker}') & echo "$!"; echo started worker-1`], {
    timeoutMs: 60_000,
  });
  const pid = Number(res.stdout.split('\n')[0]);
  try {
    assert.equal(existsSync(marker), false, 'runArgv waited for the background process');
    assert.equal(res.ok, true, res.message);
    assert.equal(res.message, 'exit 0: started worker-1');
  } finally {
    // The background subshell (its `sleep` ends on its own; the touch never runs).
    if (pid > 0) process.kill(pid, 'SIGKILL');
  }
});

test('a program the system refuses to start is a failed result with the reason, not an exception', async () => {
  const res = await runArgv(['/etc/passwd/not-a-program'], { timeoutMs: 5_000 });
  assert.equal(res.ok, false);
  assert.match(
    res.message,
    /^(cannot run \/etc\/passwd\/not-a-program: ENOTDIR|program not found: \/etc\/passwd\/not-a-program)$/,
  );
});
