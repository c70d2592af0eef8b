import { resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { openWorkbench, type CodeServer, type Workbench } from './codeServer';
import { waitFor } from './freePort';

const REPO = resolve(__dirname, '../..');

/**
 * The browser VS Code on `workspace`, with this repository's extension loaded from source (as
 * in development: no packaged .vsix), for the scripts that take the README's pictures.
 */
export function openWithExtension(server: CodeServer, workspace: string): Promise<Workbench> {
  const payload = encodeURIComponent(
    JSON.stringify([['extensionDevelopmentPath', `vscode-remote://127.0.0.1:${server.port}${REPO}`]]),
  );
  return openWorkbench(`${server.url}/?folder=${encodeURIComponent(workspace)}&payload=${payload}`);
}

/**
 * Opens the Worker Lens side bar (forced: its badge covers the icon) and, given `sideBarRight`,
 * drags its edge there (px of the 1280-wide window) so a row's description is not cut.
 */
export async function showWorkersView(page: Page, opts: { sideBarRight?: number } = {}): Promise<void> {
  await page.locator('.activitybar [aria-label^="Worker Lens"]').first().click({ force: true, timeout: 60_000 });
  const bar = opts.sideBarRight ? await page.locator('.part.sidebar').boundingBox() : null;
  if (!bar || !opts.sideBarRight) return;
  const y = bar.y + bar.height / 2;
  await page.mouse.move(bar.x + bar.width, y);
  await page.mouse.down();
  await page.mouse.move(opts.sideBarRight, y, { steps: 10 });
  await page.mouse.up();
}

/** The labels of the side bar's rows, `state` 'collapsed' for only the rows that can be opened. */
async function rowLabels(page: Page, state: 'any' | 'collapsed'): Promise<{ row: Locator; label: string }[]> {
  const selector = state === 'collapsed' ? '[aria-expanded="false"]' : '';
  const out = [];
  for (const row of await page.locator(`.part.sidebar .monaco-list-row${selector}`).all()) {
    const label = await row
      .locator('.label-name')
      .first()
      .innerText()
      .catch(() => '');
    out.push({ row, label: label.trim() });
  }
  return out;
}

/**
 * Opens the collapsed rows of the side bar whose label `match`es, one at a time (rows move as each
 * opens). First waits (up to 10 s) for such a row to be there at all: the children of a row just
 * opened arrive from the extension host a moment after its twistie turns.
 */
export async function expandRows(page: Page, match: (label: string) => boolean, max = 20): Promise<void> {
  await waitFor(async () => (await rowLabels(page, 'any')).some((r) => match(r.label)), {
    timeoutMs: 10_000,
    message: 'a row to open',
  }).catch(() => undefined); // none: nothing to open, as before
  for (let i = 0; i < max; i++) {
    const target = (await rowLabels(page, 'collapsed')).find((r) => match(r.label))?.row;
    if (!target) return;
    await target
      .locator('.monaco-tl-twistie')
      .click({ timeout: 2000 })
      .catch(() => undefined);
  }
}

/**
 * A picture of the side bar below the title bar: down to its last row, or (`toLastRow: false`)
 * to the bottom of the window. Focus and the pointer are moved away first, so no outline or
 * hover is in it.
 */
export async function shootSideBar(page: Page, path: string, opts: { toLastRow?: boolean } = {}): Promise<void> {
  await page.mouse.click(1000, 500);
  await page.mouse.move(1270, 60);
  const sidebar = await page.locator('.part.sidebar').boundingBox();
  const last = await page.locator('.part.sidebar .monaco-list-row').last().boundingBox();
  if (!sidebar || (opts.toLastRow !== false && !last)) throw new Error('the side bar is not on screen');
  const bottom = opts.toLastRow === false || !last ? 800 : last.y + last.height + 16;
  await page.screenshot({
    path,
    clip: { x: 0, y: sidebar.y, width: sidebar.x + sidebar.width, height: bottom - sidebar.y },
  });
}
