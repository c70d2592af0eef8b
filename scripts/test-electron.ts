/*
 * npm run test:electron — the same in-VS-Code suite (test/vscode) under desktop VS Code,
 * downloaded by @vscode/test-electron. Needs the network to fetch VS Code, so it is not
 * part of `npm test` or CI here (they run the suite in code-server instead).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { keepSeedFleetBeating, writeSeedFleet } from '../test/fixtures/seedFleet';
import { startRedis } from '../test/harness/redisServer';
import { killAllSupervisors, poolWorkerArgv, startSupervisorProcess } from '../test/harness/supervisorProcess';

const REPO = resolve(__dirname, '..');

async function main(): Promise<number> {
  if (spawnSync(process.execPath, ['esbuild.mjs'], { cwd: REPO, stdio: 'inherit' }).status !== 0) return 1;
  const tmp = mkdtempSync(join(tmpdir(), 'wl-electron-'));
  const workspace = join(tmp, 'workspace');
  const userData = join(tmp, 'user-data');
  mkdirSync(join(userData, 'User'), { recursive: true });
  mkdirSync(workspace);
  const redis = await startRedis();
  await writeSeedFleet(redis.client());
  const stopBeating = keepSeedFleetBeating(redis.client());
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
        HANG_ONCE_FILE: join(tmp, 'hung-once'),
      },
    },
  );
  // The same user settings the code-server run uses.
  writeFileSync(
    join(userData, 'User/settings.json'),
    JSON.stringify({
      'workerLens.connections': [
        { name: 'seed', type: 'redis', url: redis.url, preset: 'orchestrator' },
        {
          name: 'pool',
          type: 'redis',
          url: `${redis.url}/1`,
          preset: 'orchestrator',
          thresholds: { unresponsiveAfterSeconds: 2, deadAfterSeconds: 4 },
        },
      ],
      'workerLens.activeConnection': 'seed',
      'workerLens.refreshIntervalSeconds': 60,
      'security.workspace.trust.enabled': false,
    }),
  );
  const resultFile = join(tmp, 'result.json');
  try {
    await runTests({
      extensionDevelopmentPath: REPO,
      extensionTestsPath: join(REPO, 'dist/test/vscode/index.js'),
      launchArgs: [workspace, `--user-data-dir=${userData}`, '--disable-extensions'],
      extensionTestsEnv: { WORKER_LENS_TEST_RESULT: resultFile, WORKER_LENS_TEST_REDIS: redis.url },
    });
    const r = JSON.parse(readFileSync(resultFile, 'utf8'));
    console.log(`in-VS-Code suite (electron): ${r.passed} passed, ${r.failed} failed (VS Code ${r.vscodeVersion})`);
    return r.failed ? 1 : 0;
  } finally {
    stopBeating();
    await killAllSupervisors();
    await redis.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`test:electron: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
