// `npm test`: typecheck, build, then every suite in order — unit (plain Node),
// integration (real redis-server, PostgreSQL, PostgREST started by the harness),
// browser (the dashboard page in headless Chromium), and e2e (inside a real VS Code:
// code-server + headless Chromium). `node scripts/test.mjs unit integration` runs some.
// Each suite is one node:test run; the first failing suite stops the rest.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const SUITES = ['unit', 'integration', 'browser', 'e2e'];
const wanted = process.argv.slice(2).filter((a) => SUITES.includes(a));
const suites = wanted.length ? wanted : SUITES;

// A suite that hangs (a server left running, a handle never closed) must fail CI in
// minutes with its name, not eat the whole CI budget: each step has a deadline, and the
// whole process group (test files, servers they started) is killed when it passes.
const DEADLINE_MIN = {
  typecheck: 5,
  build: 5,
  'unit tests': 10,
  'integration tests': 20,
  'browser tests': 10,
  'e2e tests': 25,
};
const run = async (label, cmd, args) => {
  console.log(`\n=== ${label} ===`);
  const minutes = DEADLINE_MIN[label] ?? 20;
  const child = spawn(cmd, args, { stdio: 'inherit', env: process.env, detached: true });
  // Detached, so Ctrl-C no longer reaches it by itself: pass it on.
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {}
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    console.error(
      `\n${label} did not finish within ${minutes} minutes: killing it. A test or a server it started is hanging.`,
    );
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  }, minutes * 60_000);
  const code = await new Promise((resolve) => child.on('exit', (c, sig) => resolve(c ?? sig)));
  clearTimeout(timer);
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  if (code !== 0 || timedOut) {
    console.error(`\n${label} failed (${timedOut ? 'timed out' : `exit ${code}`}).`);
    process.exit(typeof code === 'number' && code ? code : 1);
  }
};
// Node 20's --test takes no globs: list the files ourselves.
const testFiles = (dir) =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.test.ts'))
        .sort()
        .map((f) => join(dir, f))
    : [];

if (!wanted.length) await run('typecheck', 'npx', ['--no-install', 'tsc', '--noEmit', '-p', '.']);
await run('build', 'node', ['esbuild.mjs']);
for (const suite of suites) {
  const files = testFiles(join('test', suite));
  if (!files.length) continue;
  // One file at a time for suites with servers: 2 cores, and ports/processes stay simple.
  const serial = suite === 'unit' ? [] : ['--test-concurrency=1'];
  await run(`${suite} tests`, 'node', ['--import', 'tsx', '--test', ...serial, ...files]);
}
console.log('\nAll suites passed.');
