/*
 * npm run screenshot:dashboard — retakes media/screenshot-dashboard.png as a newcomer sees it:
 * `npm run demo`'s default fleet (8 simulated workers writing heartbeat files and logs into
 * .workers/, no settings at all) in the browser VS Code, the dashboard opened from the palette
 * within the fleet's first minute. Prints what the dashboard showed and when.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FilesFleetWriter } from '../src/companion/fleetWriters';
import { runSimulator } from '../src/companion/simulator';
import { startCodeServer } from '../test/harness/codeServer';
import { openWithExtension, showWorkersView } from '../test/harness/workersView';
import { waitFor } from '../test/harness/freePort';
import { workbenchUser } from '../test/harness/workbenchUser';

const REPO = resolve(__dirname, '..');
const OUT = join(REPO, 'media/screenshot-dashboard.png');

async function main(): Promise<void> {
  if (spawnSync(process.execPath, ['esbuild.mjs'], { cwd: REPO, stdio: 'inherit' }).status !== 0)
    throw new Error('build failed');
  const tmp = mkdtempSync(join(tmpdir(), 'wl-shot-'));
  const workspace = join(tmp, 'workspace');
  const folder = join(workspace, '.workers');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(workspace, 'README.md'), '# Worker Lens demo\n');
  const server = await startCodeServer({ workspace });
  const wb = await openWithExtension(server, workspace);
  // The demo's fleet, started once the editor is up (loading it can take a minute on a busy
  // machine): everything below happens in the fleet's first minute.
  const sim = runSimulator({ workers: 8, writer: new FilesFleetWriter(folder), beatMs: 2000 });
  const started = Date.now();
  const at = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  try {
    const user = workbenchUser(wb.page);
    await user.status.first().waitFor({ timeout: 60_000 });
    await showWorkersView(wb.page);
    await user.run('Workers: Open Dashboard');
    const view = wb.page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    await view.locator('body[data-ready="true"]').waitFor({ timeout: 60_000 });
    const opened = at();
    const kpis = async () => (await view.locator('#kpis').innerText()).replace(/\s+/g, ' ');
    console.log(`dashboard drawn at ${opened} of the fleet: ${await kpis()}`);
    const drawn = async () => {
      const s = await view.locator('#charts').getAttribute('data-summary');
      return s ? ((JSON.parse(s) as Record<string, { drawn: number }>).throughput?.drawn ?? 0) : 0;
    };
    // A few points of throughput and a screenful of log lines, well inside the first minute.
    await waitFor(async () => (await drawn()) >= 3 && (await view.locator('.log-row').count()) > 10, {
      timeoutMs: 40_000,
      message: 'throughput drawn and log lines',
    });
    await wb.page.mouse.move(1270, 790);
    await wb.page.screenshot({ path: OUT });
    console.log(`screenshot at ${at()} of the fleet: ${await kpis()} → ${OUT}`);
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
