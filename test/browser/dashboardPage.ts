import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { HostMessage, WebviewMessage } from '../../src/shared/protocol';
import { dashboardHtml, makeNonce } from '../../src/vscode/dashboard/dashboardHtml';

const ROOT = resolve(__dirname, '../..');
const DIST = join(ROOT, 'dist', 'webview');

/** VS Code's Dark Modern values for the variables the page reads (VS Code sets them on <html>). */
const DARK_THEME: Record<string, string> = {
  '--vscode-font-family': '-apple-system, BlinkMacSystemFont, "Segoe UI", Ubuntu, sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-editor-font-family': '"Droid Sans Mono", "monospace", monospace',
  '--vscode-editor-font-size': '12px',
  '--vscode-foreground': '#cccccc',
  '--vscode-editor-foreground': '#cccccc',
  '--vscode-editor-background': '#1f1f1f',
  '--vscode-sideBar-background': '#181818',
  '--vscode-panel-border': '#2b2b2b',
  '--vscode-descriptionForeground': '#9d9d9d',
  '--vscode-button-background': '#0078d4',
  '--vscode-button-foreground': '#ffffff',
  '--vscode-button-secondaryBackground': '#313131',
  '--vscode-button-secondaryForeground': '#cccccc',
  '--vscode-input-background': '#313131',
  '--vscode-input-foreground': '#cccccc',
  '--vscode-input-border': '#3c3c3c',
  '--vscode-dropdown-background': '#313131',
  '--vscode-textLink-foreground': '#4daafc',
  '--vscode-errorForeground': '#f85149',
  '--vscode-editorWarning-foreground': '#cca700',
  '--vscode-list-hoverBackground': '#2a2d2e',
  '--vscode-badge-background': '#616161',
  '--vscode-charts-foreground': '#cccccc',
  '--vscode-charts-lines': 'rgba(204, 204, 204, 0.2)',
  '--vscode-charts-red': '#f14c4c',
  '--vscode-charts-blue': '#3794ff',
  '--vscode-charts-yellow': '#cca700',
  '--vscode-charts-orange': '#d18616',
  '--vscode-charts-green': '#89d185',
  '--vscode-charts-purple': '#b180d7',
  '--vscode-terminal-background': '#181818',
};

export interface DashboardPage {
  browser: Browser;
  url: string;
  /** A fresh page with `acquireVsCodeApi` stubbed; `state` is what getState() returns. */
  open(opts?: { state?: unknown; width?: number; height?: number }): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Serves the production dashboard page (same HTML, same CSP, cspSource = this server)
 * and the built bundle, and drives it in headless Chromium.
 */
export async function startDashboardPage(): Promise<DashboardPage> {
  if (!existsSync(join(DIST, 'main.js')))
    throw new Error('dist/webview/main.js is missing: run `node esbuild.mjs` first.');
  let origin = '';
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        dashboardHtml({
          cspSource: origin,
          scriptUri: `${origin}/dist/webview/main.js`,
          styleUri: `${origin}/dist/webview/main.css`,
          nonce: makeNonce(),
        }),
      );
      return;
    }
    const m = /^\/dist\/webview\/(main\.(js|css))$/.exec(path);
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': m[2] === 'js' ? 'text/javascript' : 'text/css' });
    res.end(readFileSync(join(DIST, m[1]!)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });

  return {
    browser,
    url: `${origin}/`,
    async open(opts = {}) {
      const page = await browser.newPage({
        viewport: { width: opts.width ?? 1400, height: opts.height ?? 1000 },
        deviceScaleFactor: 1,
      });
      // tsx compiles the functions we hand to the page with esbuild's keepNames helper `__name`.
      await page.addInitScript({ content: 'window.__name = (f) => f;' });
      // Injected before the page's own script and outside its CSP, as VS Code injects its API.
      await page.addInitScript(
        ({ state, theme }) => {
          const w = window as unknown as Record<string, unknown>;
          w.__posted = [];
          w.__csp = [];
          w.__xss = 0;
          let saved = state;
          w.acquireVsCodeApi = () => ({
            postMessage: (m: unknown) => (w.__posted as unknown[]).push(m),
            getState: () => saved,
            setState: (s: unknown) => {
              saved = s;
              w.__state = s;
            },
          });
          document.addEventListener('securitypolicyviolation', (e) =>
            (w.__csp as string[]).push(`${e.violatedDirective} ${e.blockedURI}`),
          );
          document.addEventListener('DOMContentLoaded', () => document.body.classList.add('vscode-dark'));
          for (const [k, v] of Object.entries(theme)) document.documentElement.style.setProperty(k, v);
        },
        { state: opts.state, theme: DARK_THEME },
      );
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => ((window as unknown as { __posted: unknown[] }).__posted ?? []).length > 0);
      return page;
    },
    async close() {
      await browser.close();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Delivers host messages the way VS Code does: `message` events on the window. */
export async function send(page: Page, ...messages: HostMessage[]): Promise<void> {
  await page.evaluate((ms) => {
    for (const data of ms) window.dispatchEvent(new MessageEvent('message', { data }));
  }, messages);
}

export function posted(page: Page): Promise<WebviewMessage[]> {
  return page.evaluate(() => (window as unknown as { __posted: WebviewMessage[] }).__posted);
}

/** Waits until the next animation frames have run (batched log rendering). */
export function frames(page: Page, n = 2): Promise<void> {
  return page.evaluate(
    (count) =>
      new Promise<void>((resolve) => {
        let left = count;
        const tick = () => (--left <= 0 ? resolve() : requestAnimationFrame(tick));
        requestAnimationFrame(tick);
      }),
    n,
  );
}
