/*
 * npm run demo [-- --redis URL] [--workers N] [--headless [--duration S]] [--port P]
 *
 * A working Worker Lens with one command and no server to install: builds the
 * extension, simulates a fleet of about 8 workers (a slow task, a crash and recovery,
 * one that stops heartbeating) as heartbeat files in .demo/workspace/.workers — the
 * zero-setup default — or into Redis with --redis, then:
 *   - `code` on PATH: opens VS Code with the extension in development mode;
 *   - otherwise: starts the browser VS Code the tests use and prints its URL;
 *   - --headless: prints the fleet as the extension sees it, refreshed in the terminal.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { runStatus } from '../src/cli/status';
import { FilesFleetWriter, RedisFleetWriter } from '../src/companion/fleetWriters';
import { runSimulator } from '../src/companion/simulator';
import { startCodeServer } from '../test/harness/codeServer';

const REPO = resolve(__dirname, '..');
const { values } = parseArgs({
  options: {
    redis: { type: 'string' },
    workers: { type: 'string', default: '8' },
    headless: { type: 'boolean', default: false },
    duration: { type: 'string' },
    port: { type: 'string' },
  },
});

async function main(): Promise<number> {
  if (!values.headless) {
    console.log('Building the extension…');
    if (spawnSync(process.execPath, ['esbuild.mjs'], { cwd: REPO, stdio: 'inherit' }).status !== 0) return 1;
  }
  const workspace = join(REPO, '.demo/workspace');
  const folder = join(workspace, '.workers');
  // A fresh fleet each run: files of an earlier (maybe larger) demo would linger as dead workers.
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    join(workspace, 'README.md'),
    '# Worker Lens demo\n\nThe Workers view (activity bar) shows a simulated fleet.\n',
  );
  const settings = values.redis
    ? { 'workerLens.connections': [{ name: 'demo', type: 'redis', url: values.redis, preset: 'orchestrator' }] }
    : {};
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  writeFileSync(join(workspace, '.vscode/settings.json'), JSON.stringify(settings, null, 2));

  const client = values.redis ? new Redis(values.redis, { maxRetriesPerRequest: 1 }) : undefined;
  client?.on('error', (e) => console.error(`demo: Redis: ${e.message}`));
  const writer = client ? new RedisFleetWriter(client) : new FilesFleetWriter(folder);
  const durationMs = values.duration ? Number(values.duration) * 1000 : undefined;
  const sim = runSimulator({ workers: Number(values.workers), writer, beatMs: 2000, durationMs });
  const stopped = new Promise<void>((r) => {
    process.once('SIGINT', r);
    process.once('SIGTERM', r);
    if (durationMs) setTimeout(r, durationMs).unref();
  });
  console.log(`Simulating ${values.workers} workers → ${values.redis ?? folder}`);

  try {
    if (values.headless) {
      return await runStatus(
        {
          command: 'status',
          source: values.redis ? { kind: 'redis', url: values.redis } : { kind: 'folder', path: folder },
          watch: true,
          json: false,
          intervalMs: 2000,
          timeoutMs: 5000,
          thresholds: {},
        },
        { out: process.stdout, err: process.stderr, env: process.env, cwd: REPO, stopped },
      ).then((code) => (code === 2 ? 2 : 0)); // the demo fleet has a dead worker on purpose
    }
    if (spawnSync('sh', ['-c', 'command -v code'], { encoding: 'utf8' }).stdout.trim()) {
      spawn('code', ['--new-window', `--extensionDevelopmentPath=${REPO}`, workspace], { stdio: 'inherit' });
      console.log('VS Code opened with Worker Lens in development mode. Ctrl-C stops the simulated fleet.');
      await stopped;
      return 0;
    }
    const server = await startCodeServer({
      workspace,
      userSettings: settings,
      port: values.port ? Number(values.port) : undefined,
    });
    const remote = `vscode-remote://127.0.0.1:${server.port}${REPO}`;
    const payload = encodeURIComponent(JSON.stringify([['extensionDevelopmentPath', remote]]));
    console.log(
      `\nWorker Lens is running in the browser VS Code (no \`code\` on PATH):\n\n  ${server.url}/?folder=${encodeURIComponent(workspace)}&payload=${payload}\n\nOpen it, then click "Worker Lens" in the activity bar. Ctrl-C stops everything.`,
    );
    await stopped;
    await server.stop();
    return 0;
  } finally {
    await sim.stop();
    client?.disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
