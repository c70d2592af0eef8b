import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import {
  keepEvidence,
  openWorkbench,
  RESULTS_DIR,
  runExtensionTests,
  startCodeServer,
  type CodeServer,
} from '../harness/codeServer';
import { waitFor } from '../harness/freePort';
import { workbenchUser } from '../harness/workbenchUser';
import { startRedis, type RedisServer } from '../harness/redisServer';
import { createRealtimeStandIn } from '../harness/realtimeStandIn';
import { killAllSupervisors, poolWorkerArgv, startSupervisorProcess } from '../harness/supervisorProcess';
import { enqueueRq, ensureFrameworks, FrameworkWorkers } from '../harness/frameworks';
import { keepSeedFleetBeating, writeSeedFleet } from '../fixtures/seedFleet';
import { heartbeatSeed003, startSeed003Stack, type Seed003Stack } from '../fixtures/seed003';
import { RedisFleetWriter } from '../../src/companion/fleetWriters';
import { runSimulator, type RunningSimulator } from '../../src/companion/simulator';

/*
 * Inside a real VS Code: one code-server for the whole run, with the packaged .vsix
 * installed and `workerLens.connections` in user settings pointing at a real
 * redis-server holding the seed fleet — what a user does. Then
 *  a) the extension's own suite runs in the extension host (real `vscode` API), and
 *  b) headless Chromium clicks the activity bar like a user and reads what is drawn,
 *     then opens the dashboard from the palette while the simulator runs a busy fleet.
 */

const REPO = resolve(__dirname, '../..');
let redis: RedisServer;
let server: CodeServer;
let workspace: string;
let tmp: string;
let supabase: Seed003Stack | undefined;
let supabaseBeats: { stop(): void } | undefined;
let seedColumnsBeats: { stop(): void } | undefined;
let stopBeating: (() => void) | undefined;
let sim: RunningSimulator | undefined;
let frameworkWorkers: FrameworkWorkers | undefined;

function packageVsix(): string {
  const r = spawnSync('npm', ['run', '--silent', 'package'], { cwd: REPO, encoding: 'utf8' });
  assert.equal(r.status, 0, `npm run package failed:\n${r.stdout}\n${r.stderr}`);
  const vsix = readdirSync(REPO).find((f) => /^worker-lens-.*\.vsix$/.test(f));
  assert.ok(vsix, 'npm run package produced worker-lens-<version>.vsix');
  return join(REPO, vsix);
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'wl-e2e-'));
  workspace = join(tmp, 'workspace');
  mkdirSync(workspace);
  writeFileSync(join(workspace, 'README.md'), '# A project whose workers we watch\n');
  // A Git repository with a few commits: a worker reporting an older one shows how far behind HEAD it is.
  writeFileSync(join(workspace, '.gitignore'), '.workers/\nrelative-workers/\nalert-workers/\n');
  const git = (...args: string[]) =>
    assert.equal(
      spawnSync('git', ['-c', 'user.name=Worker Lens', '-c', 'user.email=lens@example.invalid', ...args], {
        cwd: workspace,
      }).status,
      0,
      `git ${args.join(' ')}`,
    );
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'first');
  for (let i = 2; i <= 5; i++) {
    writeFileSync(join(workspace, 'CHANGES.md'), `change ${i}\n`);
    git('add', '.');
    git('commit', '-q', '-m', `change ${i}`);
  }
  redis = await startRedis();
  // A second fleet (db 1) run by this repository's supervisor: three real worker
  // processes heartbeating through the companion helper; pool-1 freezes once (goes dead).
  await startSupervisorProcess(
    [
      '--redis',
      `${redis.url}/1`,
      '--pool',
      JSON.stringify(poolWorkerArgv()),
      '--pool-size',
      '3',
      '--pool-prefix',
      'pool',
      '--claim-idle-ms',
      '2000',
    ],
    {
      env: {
        REDIS_URL: `${redis.url}/1`,
        HEARTBEAT_MS: '500',
        WARMUP_MS: '1500',
        HANG_WORKER: 'pool-1',
        HANG_ONCE_FILE: join(tmp, 'pool-1-hung-once'),
      },
    },
  );
  // A framework fleet (db 2) for frameworks.itest.ts: real RQ and BullMQ workers, one busy with a long job.
  ensureFrameworks();
  frameworkWorkers = new FrameworkWorkers(`${redis.url}/2`);
  frameworkWorkers.rq('rq-busy', 'long');
  frameworkWorkers.bullmq('bull-idle', 'emails');
  enqueueRq(`${redis.url}/2`, 'long', 600);
  await writeSeedFleet(redis.client());
  stopBeating = keepSeedFleetBeating(redis.client());
  // Seed 003's table (its own migration) behind a real PostgREST, Realtime played by the
  // stand-in (test/harness/realtimeStandIn.ts) on the same URL; its workers heartbeat
  // through supabase-js as the seed's do: three running, one stopped, one crashed.
  // Plus the same table under a team's own name (a view), for Add Connection's table step,
  // and seed_workers: a table with only the three columns seed 003's migration writes.
  supabase = await startSeed003Stack(
    createRealtimeStandIn(),
    `create view team_workers as select * from hp_worker_status; grant select on team_workers to anon;
     create table seed_workers (worker_name text primary key, status text not null default 'unknown', last_heartbeat timestamptz);
     grant select on seed_workers to anon;`,
  );
  const rest = supabase.rest;
  supabaseBeats = await heartbeatSeed003(rest.url, rest.serviceKey, 5_000);
  seedColumnsBeats = await heartbeatSeed003(rest.url, rest.serviceKey, 5_000, 'seed', 'seed_workers');
  const vsix = packageVsix();
  // The production bundle replaced the test build: rebuild the dev bundle + test suite.
  assert.equal(spawnSync('node', ['esbuild.mjs'], { cwd: REPO, stdio: 'inherit' }).status, 0);
  server = await startCodeServer({
    workspace,
    vsix,
    userSettings: {
      'workerLens.connections': [
        { name: 'seed', type: 'redis', url: redis.url, preset: 'orchestrator' },
        // Short thresholds so the frozen worker is called dead in seconds, not half a minute.
        {
          name: 'supabase',
          type: 'supabase',
          url: rest.url,
          preset: 'supabase-heartbeat',
          secretEnv: 'WL_TEST_SUPABASE_KEY',
        },
        {
          name: 'pool',
          type: 'redis',
          url: `${redis.url}/1`,
          preset: 'orchestrator',
          thresholds: { unresponsiveAfterSeconds: 2, deadAfterSeconds: 4 },
        },
      ],
      'workerLens.activeConnection': 'seed',
      // A minute between polls: anything faster in the tests came through a push path.
      'workerLens.refreshIntervalSeconds': 60,
    },
    env: {
      WORKER_LENS_TEST_RESULT: join(tmp, 'result.json'),
      WORKER_LENS_TEST_REDIS: redis.url,
      WORKER_LENS_TEST_FRAMEWORKS_REDIS: `${redis.url}/2`,
      WL_TEST_SUPABASE_KEY: rest.anonKey,
    },
  });
});

after(async () => {
  stopBeating?.();
  await sim?.stop();
  await server?.stop();
  await killAllSupervisors();
  await frameworkWorkers?.stopAll();
  supabaseBeats?.stop();
  seedColumnsBeats?.stop();
  await supabase?.stop();
  await redis?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the extension suite passes inside VS Code against the real Redis', async () => {
  // Written again now, not in before(): the suite checks ages ("3m 12s") that the minute
  // or so spent packaging and starting code-server would otherwise push past.
  await writeSeedFleet(redis.client());
  const result = await runExtensionTests(server, {
    workspace,
    extensionDevelopmentPath: REPO,
    extensionTestsPath: join(REPO, 'dist/test/vscode/index.js'),
    resultFile: join(tmp, 'result.json'),
  });
  for (const n of result.names) console.log(`  ${n}`);
  for (const n of result.notes ?? []) console.log(`  note: ${n}`);
  console.log(`in-VS-Code suite: ${result.passed} passed, ${result.failed} failed (VS Code ${result.vscodeVersion})`);
  assert.deepEqual(result.failures, []);
  assert.ok(result.passed >= 7, `expected at least 7 in-VS-Code tests, ran ${result.passed}`);
});

test('the packaged extension, clicked open by a user, shows the fleet by health and the status bar count', async () => {
  // Fresh again: the in-VS-Code suite changed a worker.
  await writeSeedFleet(redis.client());
  const wb = await openWorkbench(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
  try {
    await wb.page.locator('.activitybar [aria-label^="Worker Lens"]').first().click();
    const rows = wb.page.locator('.pane:has(.pane-header[aria-label^="Workers"]) .monaco-list-row');
    await waitFor(async () => (await rows.count()) >= 9, {
      timeoutMs: 60_000,
      message: 'the Workers view to show groups and workers',
    });
    const labels = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
    assert.deepEqual(
      labels.filter((l) => /^\w+ \(\d+\)$/.test(l)),
      ['Dead (1)', 'Crashed (1)', 'Slow (1)', 'Working (1)', 'Healthy (1)', 'Unknown (2)'],
      `rows: ${labels.join(' | ')}`,
    );
    assert.ok(
      labels.some((l) => /^worker-build, working · Fix login bug · [3-5]m \d+s$/.test(l)),
      `rows: ${labels.join(' | ')}`,
    );
    assert.ok(
      labels.some((l) => /^worker-dead, dead · last seen 2m \d+s ago$/.test(l)),
      `rows: ${labels.join(' | ')}`,
    );
    // The status bar repaints on its own coalesced tick, apart from the tree's: wait for it.
    const user = workbenchUser(wb.page);
    await user.statusReads(/3\/7 workers/, 'the seed fleet, 3 of 7 alive', 15_000);
    // For the README: a wider sidebar and no hover tooltip (a failed drag changes nothing asserted).
    await wb.page.mouse.move(349, 400);
    await wb.page.mouse.down();
    await wb.page.mouse.move(560, 400, { steps: 5 });
    await wb.page.mouse.up();
    await wb.page.mouse.move(900, 600);
    await waitFor(async () => (await rows.count()) >= 9, { message: 'rows still shown after resizing' });
    mkdirSync(RESULTS_DIR, { recursive: true });
    await wb.page.screenshot({ path: join(RESULTS_DIR, 'tree.png') });

    // The dashboard, opened from the command palette as a user would.
    // What the store already keeps when the dashboard opens: 20 completions of the last two minutes.
    const history = redis.client().pipeline();
    for (let i = 0; i < 20; i++)
      history.xadd(
        'work_completions',
        '*',
        'worker_id',
        `batch-${i % 2}`,
        'task_id',
        `B-${i}`,
        'duration_ms',
        '3000',
        'completed_at',
        new Date(Date.now() - 120_000 + i * 5000).toISOString(),
      );
    await history.exec();
    // Now a busy fleet for the dashboard: the simulator joins the seed workers.
    sim = runSimulator({ workers: 8, writer: new RedisFleetWriter(redis.client()), beatMs: 1000, taskMs: 4000 });
    await user.run('Workers: Open Dashboard');
    const view = wb.page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    await view.locator('canvas').first().waitFor({ timeout: 30_000 });
    // The stream's history is drawn as soon as the page is:
    // tasks/min above zero and a throughput line, before the simulated fleet has finished anything.
    const drawn = async () => {
      const s = await view.locator('#charts').getAttribute('data-summary');
      return s ? ((JSON.parse(s) as Record<string, { drawn: number }>).throughput?.drawn ?? 0) : 0;
    };
    // The KPI label is upper-cased by CSS, and innerText reads it as shown.
    const perMinute = async () =>
      Number(/([\d.,]+)\s*tasks \/ min/i.exec(await view.locator('#kpis').innerText())?.[1]?.replace(',', '') ?? 0);
    await waitFor(async () => (await drawn()) > 0 && (await perMinute()) > 0, {
      timeoutMs: 30_000,
      message: 'the history drawn on opening: a throughput line and tasks/min above zero',
    });
    const logRows = view.locator('.log-row');
    await waitFor(async () => (await logRows.count()) > 0, {
      timeoutMs: 30_000,
      message: 'log lines in the dashboard',
    });
    await waitFor(async () => (await view.locator('canvas').count()) >= 4, { message: 'the dashboard charts' });
    await view.locator('button[data-window="5m"]').click();
    // Enough finished tasks for a few chart buckets (the KPI reads "N in 5 min").
    const finished = async () => Number(/(\d+) in 5 min/.exec(await view.locator('#kpis').innerText())?.[1] ?? 0);
    await waitFor(async () => (await finished()) >= 20 && (await view.locator('.log-row').count()) > 5, {
      timeoutMs: 90_000,
      message: 'completed tasks charted and log lines from the simulated fleet',
    });
    await wb.page.mouse.move(900, 790);
    await wb.page.screenshot({ path: join(RESULTS_DIR, 'dashboard-vscode.png') });
  } catch (err) {
    console.error(await keepEvidence(wb.page, server, 'browser-tree'));
    throw err;
  } finally {
    await wb.close();
  }
});

test('Add Connection: the URL goes to settings, the password to the secret store, and the fleet shows', async () => {
  const secured = await startRedis(['--requirepass', 's3cret-pw']);
  const wb = await openWorkbench(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
  const { page } = wb;
  const writer = new Redis({ host: '127.0.0.1', port: secured.port, password: 's3cret-pw' });
  let stopSecuredBeating: (() => void) | undefined;
  try {
    await writeSeedFleet(writer);
    // One more (stopped) worker than the seed connection shows, so "3/8 workers" can only
    // come from the new connection, not from the one already on screen (3/7).
    await writer.sadd('active_workers', 'worker-secured');
    await writer.hset('worker:state:worker-secured', { status: 'stopped', last_activity: new Date().toISOString() });
    // Beating like the main fleet: typing the steps below must not outlast the idle worker's 15 s.
    stopSecuredBeating = keepSeedFleetBeating(writer);
    // The extension is up once its status bar item shows; then its commands are in the palette.
    const user = workbenchUser(page);
    await user.status.first().waitFor({ timeout: 60_000 });
    await user.run('Workers: Add Connection');
    await user.pickFirst('Add Connection (1/3)', 'Redis');
    await user.answer('Add Connection (2/3)', 'secured');
    // The password typed into the URL, as people do; it must not land in settings.
    await user.answer('Add Connection (3/3)', `redis://:s3cret-pw@127.0.0.1:${secured.port}`);
    await user.statusReads(/3\/8 workers/, 'the secured fleet, 3 of 8 alive');
    const settings = readFileSync(join(server.userDataDir, 'User/settings.json'), 'utf8');
    assert.match(settings, new RegExp(`"url": "redis://127.0.0.1:${secured.port}"`));
    assert.doesNotMatch(settings, /s3cret-pw/);

    // The password is rotated on the server: the fleet stays, marked stale, until the user
    // sets the new one with "Set Password or Key…" (the connection itself is kept as is).
    await writer.config('SET', 'requirepass', 'n3w-pw');
    const setPassword = async (password: string) => {
      await user.run('Workers: Set Password or Key');
      await user.pickFirst('Set Password or Key: which connection?', 'secured'); // the active one first
      await user.answer('Redis password for "secured"', password);
    };
    await setPassword('wrong-pw');
    await user.statusReads(/3\/8 workers \(stale\)/, 'the fleet kept and marked stale after a wrong password');
    await setPassword('n3w-pw');
    await user.statusReads(/^\S*\s*3\/8 workers$/, 'live again with the new password');
    assert.doesNotMatch(readFileSync(join(server.userDataDir, 'User/settings.json'), 'utf8'), /n3w-pw|wrong-pw/);
  } catch (err) {
    console.error(await keepEvidence(page, server, 'add-connection'));
    throw err;
  } finally {
    stopSecuredBeating?.();
    writer.disconnect();
    await wb.close();
    await secured.stop();
  }
});

test('Add Connection for Supabase: the table is asked for, the key goes to the secret store, and the fleet shows', async () => {
  const rest = supabase!.rest;
  const wb = await openWorkbench(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
  const { page } = wb;
  try {
    const user = workbenchUser(page);
    await user.status.first().waitFor({ timeout: 60_000 });
    await user.run('Workers: Add Connection');
    await user.answer('Add Connection (1/3)', 'Supabase');
    await user.answer('Add Connection (2/3)', 'team');
    await user.answer('Add Connection (3/4)', rest.url);
    await user.answer('Add Connection (4/4)', 'team_workers');
    await user.answer('Supabase key', rest.anonKey);
    // Seed 003's five workers (three running, one stopped, one crashed) through the view:
    // "3/5", which neither the secured Redis fleet (3/8) nor the seed one (3/7) shows.
    await user.statusReads(/3\/5 workers/, 'the team_workers fleet, 3 of 5 alive');
    const settings = readFileSync(join(server.userDataDir, 'User/settings.json'), 'utf8');
    assert.match(
      settings,
      /"name": "team",\s+"type": "supabase",\s+"url": "[^"]+",\s+"preset": "supabase-heartbeat",\s+"table": "team_workers"/,
    );
    assert.ok(!settings.includes(rest.anonKey), 'the key is not in settings');
  } catch (err) {
    console.error(await keepEvidence(page, server, 'add-supabase-connection'));
    throw err;
  } finally {
    await wb.close();
  }
});
