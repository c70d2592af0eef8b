/*
 * npm run screenshot:alerts — retakes the README's pictures of alerts, expected workers and
 * code drift (media/screenshot-alert.png, media/screenshot-missing-drift.png):
 * `npm run demo`'s fleet (8 simulated workers writing heartbeat files) in the browser VS Code,
 * with default alert settings, through one connection that also expects a ninth worker
 * (`report-worker`, never started: missing), in a workspace that is a Git repository whose
 * HEAD the fleet runs — worker-4 runs a commit three behind. Waits, as a user would, for the
 * fleet's crash to raise its alert (the first crash may pass while the editor loads; the next
 * comes ~40 s later), then takes both pictures. Prints what it saw and when.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FilesFleetWriter } from '../src/companion/fleetWriters';
import { runSimulator } from '../src/companion/simulator';
import { startCodeServer } from '../test/harness/codeServer';
import { openWithExtension, shootSideBar, showWorkersView } from '../test/harness/workersView';
import { waitFor } from '../test/harness/freePort';
import { workbenchUser } from '../test/harness/workbenchUser';

const REPO = resolve(__dirname, '..');
const ALERT_PNG = join(REPO, 'media/screenshot-alert.png');
const TREE_PNG = join(REPO, 'media/screenshot-missing-drift.png');
/** Where the side bar's right edge is dragged to (px of a 1280-wide window). */
const SIDEBAR_RIGHT = 640;

/** A workspace that is a Git repository of five commits; returns HEAD and HEAD~3. */
function gitWorkspace(workspace: string): { head: string; old: string } {
  const git = (...args: string[]) => {
    const r = spawnSync('git', ['-c', 'user.name=Worker Lens', '-c', 'user.email=lens@example.invalid', ...args], {
      cwd: workspace,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  writeFileSync(join(workspace, 'README.md'), '# Worker Lens demo\n');
  writeFileSync(join(workspace, '.gitignore'), '.workers/\n');
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'first');
  for (let i = 2; i <= 5; i++) {
    writeFileSync(join(workspace, 'CHANGES.md'), `release ${i}\n`);
    git('add', '.');
    git('commit', '-q', '-m', `release ${i}`);
  }
  return { head: git('rev-parse', 'HEAD'), old: git('rev-parse', 'HEAD~3') };
}

async function main(): Promise<void> {
  if (spawnSync(process.execPath, ['esbuild.mjs'], { cwd: REPO, stdio: 'inherit' }).status !== 0)
    throw new Error('build failed');
  const tmp = mkdtempSync(join(tmpdir(), 'wl-shot-'));
  const workspace = join(tmp, 'workspace');
  const folder = join(workspace, '.workers');
  mkdirSync(folder, { recursive: true });
  const { head, old } = gitWorkspace(workspace);
  const connection = {
    name: 'demo',
    type: 'files',
    path: folder,
    preset: 'heartbeat-files',
    logs: '*.log',
    expectedWorkers: [{ prefix: 'worker-', count: 8 }, 'report-worker'],
  };
  // The fleet first, as `npm run demo` starts it: its records exist when the extension connects.
  const sim = runSimulator({
    workers: 8,
    writer: new FilesFleetWriter(folder),
    beatMs: 2000,
    version: head,
    oldVersion: old,
  });
  const started = Date.now();
  const at = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  const server = await startCodeServer({ workspace, userSettings: { 'workerLens.connections': [connection] } });
  const wb = await openWithExtension(server, workspace);
  const page = wb.page;
  try {
    const user = workbenchUser(page);
    await user.status.first().waitFor({ timeout: 60_000 });
    console.log(`editor up and connected at ${at()} of the fleet: ${await user.status.first().innerText()}`);
    // A wider side bar, so a row's description ("outdated · 3 commits behind") is not cut.
    await showWorkersView(page, { sideBarRight: SIDEBAR_RIGHT });
    const rows = page.locator('.monaco-list-row');
    await waitFor(async () => (await rows.filter({ hasText: /commits? behind/ }).count()) > 0, {
      timeoutMs: 60_000,
      message: 'worker-4 shows how far behind HEAD it is',
    });
    await rows
      .filter({ hasText: /^Missing/ })
      .first()
      .waitFor({ timeout: 30_000 });
    // Notifications the extension showed before this run's crash (a death at connect time, …) are not the picture.
    const crash = page.locator('.notification-toast', { hasText: /worker-2 crashed/ });
    await crash.first().waitFor({ timeout: 120_000 });
    console.log(`alert at ${at()}: ${(await crash.first().innerText()).replace(/\s+/g, ' ')}`);
    const toasts = await page.locator('.notification-toast').allInnerTexts();
    console.log(`notifications on screen: ${toasts.length} (${toasts.map((t) => t.replace(/\s+/g, ' ')).join(' | ')})`);
    await page.mouse.move(1270, 60);
    await page.screenshot({ path: ALERT_PNG });
    // The outdated worker opened: its version row says which commit it runs. Rows move between
    // groups as their health changes, so a click can land on a neighbour: checked, and undone.
    let seen = '';
    await waitFor(
      async () => {
        seen = '';
        for (const row of await rows.filter({ hasText: /^worker-\d/ }).all()) {
          const mine = /^worker-4(?!\d)/.test(await row.innerText().catch(() => ''));
          const open = (await row.getAttribute('aria-expanded').catch(() => null)) === 'true';
          seen += `${(await row.innerText().catch(() => '')).slice(0, 9)}:${open} `;
          if (mine !== open)
            await row
              .locator('.monaco-tl-twistie')
              .click({ timeout: 2000 })
              .catch(() => undefined);
        }
        const opened = rows.filter({ hasText: /^worker-\d/ }).and(page.locator('[aria-expanded="true"]'));
        return (
          (await rows.filter({ hasText: /^Version .*commits? behind/ }).count()) > 0 && (await opened.count()) === 1
        );
      },
      { timeoutMs: 20_000, message: () => `worker-4's version row (rows: ${seen})` },
    );
    await shootSideBar(page, TREE_PNG);
    const tree = (await page.locator('.part.sidebar').innerText()).replace(/\n+/g, ' | ');
    console.log(`tree: ${tree}`);
    for (const png of [ALERT_PNG, TREE_PNG]) console.log(`${png}: ${Math.round(statSync(png).size / 1024)} KB`);
  } finally {
    await wb.close();
    await sim.stop();
    await server.stop();
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
