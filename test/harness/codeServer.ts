import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort, waitFor } from './freePort';

/*
 * The browser build of VS Code (code-server 4.100.3 = VS Code 1.100.3) for tests that
 * must run inside a real VS Code. scripts/setup-code-server.sh installs it; one server
 * per test run; a screenshot and the server log land in test-results/ on failure.
 */

const REPO = resolve(__dirname, '../..');
const ROOT = join(REPO, '.vscode-test/code-server');
const ENTRY = join(ROOT, 'node_modules/code-server/out/node/entry.js');
export const RESULTS_DIR = join(REPO, 'test-results');
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface CodeServer {
  url: string;
  port: number;
  logPath: string;
  userDataDir: string;
  stop(): Promise<void>;
}

/** Installs code-server when missing (the script says what is missing if it cannot). */
export function ensureCodeServer(): void {
  if (existsSync(join(ROOT, '.ready-4.100.3'))) return;
  const r = spawnSync('bash', [join(REPO, 'scripts/setup-code-server.sh')], { stdio: 'inherit' });
  if (r.status !== 0)
    throw new Error('code-server could not be installed: see the messages above (scripts/setup-code-server.sh).');
}

export async function startCodeServer(opts: {
  workspace: string;
  userSettings?: object;
  env?: Record<string, string>;
  vsix?: string;
  port?: number;
}): Promise<CodeServer> {
  ensureCodeServer();
  const port = opts.port ?? (await freePort());
  const tmp = mkdtempSync(join(tmpdir(), 'wl-code-server-'));
  const userDataDir = join(tmp, 'data');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(
    join(userDataDir, 'User/settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoCheckUpdates': false,
      'update.mode': 'none',
      'security.workspace.trust.enabled': false,
      'git.openRepositoryInParentFolders': 'never',
      ...opts.userSettings,
    }),
  );
  mkdirSync(RESULTS_DIR, { recursive: true });
  const extensionsDir = join(tmp, 'extensions');
  if (opts.vsix) {
    // Installed the way a user would, into this server's own (empty) extensions folder.
    const r = spawnSync(
      process.execPath,
      [ENTRY, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', opts.vsix],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`Installing ${opts.vsix} into code-server failed:\n${r.stdout}\n${r.stderr}`);
  }
  const logPath = join(tmp, 'code-server.log');
  const log = createWriteStream(logPath);
  const args = [
    ENTRY,
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    opts.workspace,
  ];
  // Its own process group, so stop() ends the extension host and watchers with it.
  const proc: ChildProcess = spawn(process.execPath, args, {
    env: { ...process.env, ...opts.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.pipe(log);
  proc.stderr!.pipe(log);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (proc.exitCode !== null) throw new Error(`code-server exited with ${proc.exitCode}; log: ${logPath}`);
      return (await fetch(`${url}/healthz`).catch(() => undefined))?.ok;
    },
    { timeoutMs: 60_000, message: `code-server answering /healthz on ${url} (log ${logPath})` },
  );

  return {
    url,
    port,
    logPath,
    userDataDir,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        try {
          process.kill(-proc.pid!, 'SIGTERM');
        } catch {
          /* already gone */
        }
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        try {
          process.kill(-proc.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      log.end();
      rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

export interface Workbench {
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

export async function openWorkbench(url: string): Promise<Workbench> {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(url);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  return { browser, page, close: () => browser.close() };
}

export interface SuiteResult {
  notes?: string[];
  passed: number;
  failed: number;
  failures: { name: string; error: string }[];
  names: string[];
  vscodeVersion: string;
}

/**
 * Opens the workbench with extensionDevelopmentPath + extensionTestsPath: the test
 * index's run() executes in the extension host and writes its result to `resultFile`
 * (the server's env carries WORKER_LENS_TEST_RESULT to the host).
 */
export async function runExtensionTests(
  server: CodeServer,
  opts: {
    workspace: string;
    extensionDevelopmentPath: string;
    extensionTestsPath: string;
    resultFile: string;
    timeoutMs?: number;
  },
): Promise<SuiteResult> {
  const remote = (p: string) => `vscode-remote://127.0.0.1:${server.port}${p}`;
  const payload = JSON.stringify([
    ['extensionDevelopmentPath', remote(opts.extensionDevelopmentPath)],
    ['extensionTestsPath', remote(opts.extensionTestsPath)],
  ]);
  const wb = await openWorkbench(
    `${server.url}/?folder=${encodeURIComponent(opts.workspace)}&payload=${encodeURIComponent(payload)}`,
  );
  try {
    await waitFor(() => existsSync(opts.resultFile), {
      timeoutMs: opts.timeoutMs ?? 180_000,
      message: `the in-VS-Code suite to write ${opts.resultFile}`,
    });
    const result = JSON.parse(readFileSync(opts.resultFile, 'utf8')) as SuiteResult;
    if (result.failed) await keepEvidence(wb.page, server, 'in-vscode-suite');
    return result;
  } catch (err) {
    const evidence = await keepEvidence(wb.page, server, 'in-vscode-suite');
    throw new Error(`${(err as Error).message}\n${evidence}`);
  } finally {
    await wb.close();
  }
}

/** Saves a screenshot and the server log to test-results/ and says where. */
export async function keepEvidence(page: Page | undefined, server: CodeServer, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const shot = join(RESULTS_DIR, `${name}.png`);
  const log = join(RESULTS_DIR, `${name}.code-server.log`);
  await page?.screenshot({ path: shot }).catch(() => undefined);
  try {
    copyFileSync(server.logPath, log);
  } catch {
    /* no log yet */
  }
  return `Evidence: screenshot ${shot}, server log ${log}`;
}
