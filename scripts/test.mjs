// `npm test`: typecheck, build, then every suite in order — unit (plain Node),
// integration (real redis-server, PostgreSQL, PostgREST started by the harness),
// browser (the dashboard page in headless Chromium), and e2e (inside a real VS Code:
// code-server + headless Chromium). `node scripts/test.mjs unit integration` runs some.
// Each suite is one node:test run; the first failing suite stops the rest.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const SUITES = ['unit', 'integration', 'browser', 'e2e'];
const wanted = process.argv.slice(2).filter((a) => SUITES.includes(a));
const suites = wanted.length ? wanted : SUITES;

const run = (label, cmd, args) => {
  console.log(`\n=== ${label} ===`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: process.env });
  if (r.status !== 0) {
    console.error(`\n${label} failed (exit ${r.status ?? r.signal}).`);
    process.exit(r.status || 1);
  }
};
// Node 20's --test takes no globs: list the files ourselves.
const testFiles = (dir) =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join(dir, f))
    : [];

if (!wanted.length) run('typecheck', 'npx', ['--no-install', 'tsc', '--noEmit', '-p', '.']);
run('build', 'node', ['esbuild.mjs']);
for (const suite of suites) {
  const files = testFiles(join('test', suite));
  if (!files.length) continue;
  // One file at a time for suites with servers: 2 cores, and ports/processes stay simple.
  const serial = suite === 'unit' ? [] : ['--test-concurrency=1'];
  run(`${suite} tests`, 'node', ['--import', 'tsx', '--test', ...serial, ...files]);
}
console.log('\nAll suites passed.');
