/*
 * npm run screenshot:frameworks — retakes the README's picture of a framework fleet
 * (media/screenshot-frameworks.png), tried as a new user would: a redis-server with REAL workers
 * on it — two each of RQ, Sidekiq, Celery (events on, -E) and BullMQ, each running a job that
 * sleeps ten minutes, every job given before the editor opens — and the browser VS Code with one
 * connection holding only the URL (no preset: detection finds the frameworks). Waits until the
 * Workers view shows all eight with their jobs, takes the picture, prints every row and how long
 * it took from code-server's start. Stops everything it started, even on failure (then a
 * screenshot and the server log land in test-results/).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import type { Page } from 'playwright-core';
import {
  enqueueCelery,
  enqueueRq,
  enqueueSidekiq,
  ensureFrameworks,
  FrameworkWorkers,
  type WorkerProcess,
} from '../test/harness/frameworks';
import { keepEvidence, startCodeServer, type CodeServer, type Workbench } from '../test/harness/codeServer';
import { expandRows, openWithExtension, shootSideBar, showWorkersView } from '../test/harness/workersView';
import { waitFor } from '../test/harness/freePort';
import { startRedis, type RedisServer } from '../test/harness/redisServer';

const REPO = resolve(__dirname, '..');
const PNG = join(REPO, 'media/screenshot-frameworks.png');
/** Where the side bar's right edge is dragged to (px of a 1280-wide window). */
const SIDEBAR_RIGHT = 640;
/** Every job sleeps this long: longer than the run, so each worker is busy when the picture is taken. */
const JOB_SECONDS = 600;

/** The eight workers: the name a row shows (Celery adds @host), the framework, its own queue (one job each). */
const FLEET = [
  { name: 'rq-reports', framework: 'RQ', queue: 'reports', job: 'rqJobs.long(600)' },
  { name: 'rq-exports', framework: 'RQ', queue: 'exports', job: 'rqJobs.long(600)' },
  { name: 'sk-mailers', framework: 'Sidekiq', queue: 'mailers', job: 'LongJob' },
  { name: 'sk-billing', framework: 'Sidekiq', queue: 'billing', job: 'LongJob' },
  { name: 'celery-images', framework: 'Celery', queue: 'images', job: 'jobs.long' },
  { name: 'celery-thumbs', framework: 'Celery', queue: 'thumbs', job: 'jobs.long' },
  { name: 'bull-video', framework: 'BullMQ', queue: 'video', job: 'transcode-video' },
  { name: 'bull-audio', framework: 'BullMQ', queue: 'audio', job: 'transcode-audio' },
] as const;

/** A worker's row by the name it was started with (a Celery node is named name@host). */
function rowOf(rows: string[], name: string): string | undefined {
  return rows.find((r) => r.startsWith(`${name} `) || r.startsWith(`${name}@`));
}

/** Every row of the Workers view as drawn: its label, then " — " and its description when it has one. */
async function treeRows(page: Page): Promise<string[]> {
  const out: string[] = [];
  for (const row of await page.locator('.part.sidebar .monaco-list-row').all()) {
    const label = await row
      .locator('.label-name')
      .first()
      .innerText()
      .catch(() => '');
    const description = await row
      .locator('.label-description')
      .first()
      .innerText({ timeout: 200 })
      .catch(() => '');
    out.push(description ? `${label.trim()} — ${description.trim()}` : label.trim());
  }
  return out;
}

async function main(): Promise<void> {
  if (spawnSync(process.execPath, ['esbuild.mjs'], { cwd: REPO, stdio: 'inherit' }).status !== 0)
    throw new Error('build failed');
  ensureFrameworks();
  const tmp = mkdtempSync(join(tmpdir(), 'wl-shot-frameworks-'));
  const workspace = join(tmp, 'workspace');
  mkdirSync(workspace, { recursive: true });
  let redis: RedisServer | undefined;
  let workers: FrameworkWorkers | undefined;
  let bull: Queue[] = [];
  let server: CodeServer | undefined;
  let wb: Workbench | undefined;
  let seen: string[] = [];
  try {
    redis = await startRedis();
    const url = redis.url;
    workers = new FrameworkWorkers(url);
    const procs: WorkerProcess[] = [];
    for (const w of FLEET) {
      if (w.framework === 'RQ') procs.push(workers.rq(w.name, w.queue));
      if (w.framework === 'Sidekiq') procs.push(workers.sidekiq(w.name, w.queue));
      if (w.framework === 'Celery') procs.push(workers.celery(w.name, w.queue));
      if (w.framework === 'BullMQ') procs.push(workers.bullmq(w.name, w.queue));
    }
    // One job per worker, on its own queue (a Celery worker prefetches: two jobs on one queue could both land on it).
    const client = redis.client();
    for (const w of FLEET) {
      if (w.framework === 'RQ') enqueueRq(url, w.queue, JOB_SECONDS);
      if (w.framework === 'Sidekiq') await enqueueSidekiq(client, w.queue, JOB_SECONDS);
      if (w.framework === 'Celery') enqueueCelery(url, w.queue, JOB_SECONDS);
    }
    const port = redis.port;
    bull = FLEET.filter((w) => w.framework === 'BullMQ').map(
      (w) => new Queue(w.queue, { connection: { host: '127.0.0.1', port } }),
    );
    await Promise.all(bull.map((q, i) => q.add(i ? 'transcode-audio' : 'transcode-video', { seconds: JOB_SECONDS })));
    // Every worker registered and on its job before the editor opens: the user arrives at a running fleet.
    let have = '';
    await waitFor(
      async () => {
        const dead = procs.filter((p) => !p.alive);
        if (dead.length) throw new Error(dead.map((p) => `${p.name} exited:\n${p.output().slice(-800)}`).join('\n'));
        const counts = [
          await client.scard('rq:workers'),
          await client.scard('processes'),
          await client.exists('_kombu.binding.celery.pidbox'),
          String(await client.client('LIST')).split(':w:').length - 1,
          // Jobs still waiting in a queue: none once every worker took its own.
          (await client.llen('rq:queue:reports')) + (await client.llen('rq:queue:exports')),
          (await client.llen('queue:mailers')) + (await client.llen('queue:billing')),
          (await client.llen('images')) + (await client.llen('thumbs')),
          (await client.llen('bull:video:active')) + (await client.llen('bull:audio:active')),
        ];
        have = `rq ${counts[0]}, sidekiq ${counts[1]}, celery pidbox ${counts[2]}, bullmq ${counts[3]}; waiting rq ${counts[4]}, sidekiq ${counts[5]}, celery ${counts[6]}; bullmq active ${counts[7]}`;
        return counts.join() === '2,2,1,2,0,0,0,2';
      },
      { timeoutMs: 90_000, message: () => `every worker registered and on its job (${have})` },
    );
    console.log(`fleet up: ${have}`);

    const connection = { name: 'my-redis', type: 'redis', url };
    const started = Date.now();
    const at = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
    server = await startCodeServer({ workspace, userSettings: { 'workerLens.connections': [connection] } });
    console.log(`code-server answering at ${at()}`);
    wb = await openWithExtension(server, workspace);
    const page = wb.page;
    console.log(`workbench drawn at ${at()}`);
    await showWorkersView(page, { sideBarRight: SIDEBAR_RIGHT });
    const firstRow = { at: '' };
    await waitFor(
      async () => {
        // Every group (health, then framework) open; workers stay shut: a worker row names one of the eight.
        await expandRows(page, (label) => !FLEET.some((w) => label.startsWith(w.name)));
        seen = await treeRows(page);
        if (!firstRow.at && FLEET.some((w) => rowOf(seen, w.name))) firstRow.at = at();
        // Every worker on screen, working on its own job: "working · <job> · <elapsed>".
        return FLEET.every((w) => (rowOf(seen, w.name) ?? '').includes(` — working · ${w.job} · `));
      },
      { timeoutMs: 120_000, message: () => `all eight workers working with their jobs (rows: ${seen.join(' | ')})` },
    );
    const allAt = at();
    await shootSideBar(page, PNG);
    seen = await treeRows(page);
    console.log(
      `first worker row at ${firstRow.at}; all eight working with their jobs at ${allAt} of code-server's start`,
    );
    console.log('rows:');
    for (const r of seen) console.log(`  ${r}`);
    console.log(`${PNG}: ${Math.round(statSync(PNG).size / 1024)} KB`);
  } catch (err) {
    if (server) console.error(await keepEvidence(wb?.page, server, 'screenshot-frameworks'));
    if (seen.length) console.error(`last rows seen: ${seen.join(' | ')}`);
    throw err;
  } finally {
    await wb?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await Promise.all(bull.map((q) => q.close().catch(() => undefined)));
    await workers?.stopAll().catch(() => undefined);
    await redis?.stop().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`screenshot: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
